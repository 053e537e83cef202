"""Sandbox payments: files that parse, signatures that verify, determinism, consistent truth."""

import csv
import hashlib
import hmac
import io
import json
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from bai2 import bai2
from django.core.management import call_command

from sandbox.imis import generate
from sandbox.payments import (
    Book,
    BookInvoice,
    book_from_association,
    clerk_allocation,
    generate_payments,
    payment_history,
    synthetic_book,
)
from sandbox.payments.files import (
    CSV_COLUMNS,
    authorizenet_events,
    stripe_events,
    to_bai2,
    to_csv,
    write_payment_files,
)
from sandbox.payments.writing import bank_ascii

SECRET = "whsec_test_secret"
ANET_KEY = "4F1E2D3C4B5A69788796A5B4C3D2E1F0"


@pytest.fixture(scope="module")
def association():
    return generate(600, seed=5)


@pytest.fixture(scope="module")
def book(association):
    return book_from_association(association)


@pytest.fixture(scope="module")
def payments(association, book):
    return generate_payments(book, 400, seed=5, as_of=association.today)


def test_book_from_association_holds_exactly_the_open_invoices(association, book):
    balances = association.invoices.col("balance")

    assert len(book.invoices) == int((balances > 0).sum())
    assert all(inv.balance > 0 for inv in book.invoices)
    assert all(
        inv.member_id in book.parties and inv.payer_id in book.parties for inv in book.invoices
    )


def test_generate_payments_is_deterministic(association, book, payments):
    again = generate_payments(book, 400, seed=5, as_of=association.today)
    other = generate_payments(book, 400, seed=6, as_of=association.today)

    assert again == payments
    assert other != payments


def test_generate_payments_has_real_world_variety(payments):
    scenarios = Counter(p.scenario for p in payments)
    channels = Counter(p.channel for p in payments)

    assert {"self", "spouse", "partial", "over", "not_ours"} <= set(scenarios)
    assert set(channels) == {"csv", "bai2", "stripe", "authorizenet"}
    assert any(p.memo == "" for p in payments)
    assert any("RMR*IV*" in p.memo for p in payments) or scenarios["employer_multi"] == 0


def test_ground_truth_is_consistent_with_the_book(book, payments):
    invoices = {i.invoice_id: i for i in book.invoices}
    for p in payments:
        applied = sum(cents for _, cents in p.truth_allocations)
        if not p.ours:
            assert p.truth_allocations == () and p.truth_credit == 0
            continue
        assert applied + p.truth_credit == p.amount, p
        for invoice_id, cents in p.truth_allocations:
            invoice = invoices[invoice_id]
            assert 0 < cents <= invoice.balance
            related = {invoice.member_id, invoice.payer_id, book.parties[invoice.member_id].org_id}
            assert p.truth_member in related


def test_clerk_allocation_names_first_then_exact_then_oldest_first():
    older = BookInvoice("300001", "300001", "10001", "10001", 30500, date(2024, 5, 1))
    newer = BookInvoice("300002", "300002", "10001", "10001", 31500, date(2025, 5, 1))
    invoices = [older, newer]

    assert clerk_allocation(invoices, 36500, [newer]) == ([("300002", 31500), ("300001", 5000)], 0)
    assert clerk_allocation(invoices, 31500, []) == ([("300002", 31500)], 0)
    assert clerk_allocation(invoices, 10000, []) == ([("300001", 10000)], 0)
    assert clerk_allocation(invoices, 70000, []) == (
        [("300001", 30500), ("300002", 31500)],
        8000,
    )


def test_synthetic_book_reaches_the_requested_size():
    book = synthetic_book(3000, seed=2)

    assert 2800 <= len(book.invoices) <= 3300
    assert any(p.is_org for p in book.parties.values())
    assert any(i.payer_id != i.member_id for i in book.invoices)


def test_csv_has_the_documented_columns_and_one_row_per_payment(payments):
    rows = [p for p in payments if p.channel == "csv"]

    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))

    assert tuple(parsed[0].keys()) == CSV_COLUMNS
    assert len(parsed) == len(rows)
    for row, p in zip(parsed, rows, strict=True):
        assert Decimal(row["amount"]) * 100 == p.amount
        assert row["method"] == p.method
        assert row["payer_name"] == p.payer_name
        if p.method == "check":
            assert row["reference"] == p.check_number


def test_bai2_file_parses_with_integrity_checks_and_continuations(association, payments):
    rows = [p for p in payments if p.channel == "bai2"]
    text = to_bai2(rows, as_of=association.today)

    parsed = bai2.parse_from_string(text)  # integrity checks on: totals and counts agree

    details = parsed.children[0].children[0].children
    assert len(details) == len(rows)
    assert [d.amount for d in details] == [p.amount for p in rows]
    assert any(line.startswith("88,") for line in text.splitlines())
    for detail, p in zip(details, rows, strict=True):
        assert p.payer_name in detail.text
        assert p.memo in detail.text


def test_stripe_events_are_signed_with_the_stripe_scheme(payments):
    rows = [p for p in payments if p.channel == "stripe"]

    events = stripe_events(rows, SECRET, signed_at=1_750_000_000)

    for event, p in zip(events, rows, strict=True):
        header = dict(part.split("=", 1) for part in event.headers["Stripe-Signature"].split(","))
        expected = hmac.new(SECRET.encode(), b"1750000000." + event.body, hashlib.sha256)
        assert header == {"t": "1750000000", "v1": expected.hexdigest()}
        body = json.loads(event.body)
        assert body["type"] == "charge.succeeded"
        assert body["data"]["object"]["amount"] == p.amount
        assert body["data"]["object"]["billing_details"]["name"] == (p.payer_name or None)
    assert len({e.key for e in events}) == len(events)


def test_authorizenet_events_are_signed_with_sha512(payments):
    rows = [p for p in payments if p.channel == "authorizenet"]

    events = authorizenet_events(rows, ANET_KEY)

    for event, p in zip(events, rows, strict=True):
        expected = hmac.new(ANET_KEY.encode(), event.body, hashlib.sha512).hexdigest().upper()
        assert event.headers["X-ANET-Signature"] == f"sha512={expected}"
        body = json.loads(event.body, parse_float=Decimal)
        assert body["eventType"] == "net.authorize.payment.authcapture.created"
        assert body["payload"]["authAmount"] * 100 == p.amount
        assert body["notificationId"] == event.key


def test_write_payment_files_is_deterministic_and_truth_finds_every_payment(
    association, payments, tmp_path
):
    first, second = tmp_path / "a", tmp_path / "b"
    for directory in (first, second):
        write_payment_files(
            payments,
            directory,
            as_of=association.today,
            stripe_secret=SECRET,
            authorizenet_key=ANET_KEY,
        )

    for name in ("payments.csv", "payments.bai2", "webhooks.jsonl", "truth.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    truth = json.loads((first / "truth.json").read_text())
    webhooks = [json.loads(line) for line in (first / "webhooks.jsonl").read_text().splitlines()]
    bai2_text = (first / "payments.bai2").read_text()
    assert len(truth) == len(payments)
    for record in truth:
        if record["channel"] in ("stripe", "authorizenet"):
            assert any(record["source_key"] in hook["body"] for hook in webhooks)
        elif record["channel"] == "bai2":
            assert record["source_key"] in bai2_text


def test_imis_sandbox_command_writes_payment_files(tmp_path):
    out = io.StringIO()

    call_command(
        "imis_sandbox",
        "--members",
        "300",
        "--seed",
        "4",
        "--as-of",
        "2025-06-30",
        "--payments-dir",
        str(tmp_path),
        "--payments",
        "50",
        "--payments-only",
        stdout=out,
    )

    assert "payments written to" in out.getvalue()
    assert len(json.loads((tmp_path / "truth.json").read_text())) == 50


def _names(text: str, person) -> bool:
    """The text names the person (first name, as a bank writes it)."""
    return person is not None and bank_ascii(person.first).upper() in bank_ascii(text).upper()


@pytest.fixture(scope="module")
def households():
    book = synthetic_book(6000, seed=3)
    return book, generate_payments(book, 3000, seed=3)


def test_synthetic_book_gives_addresses_and_relatives_who_pay(households):
    book, _ = households
    on_file = [r for r in book.relatives.values() if r.party_id]

    assert all(p.postal for p in book.parties.values())
    assert book.relatives and on_file and len(on_file) < len(book.relatives)
    for member, relative in book.relatives.items():
        assert relative.first[:1] != book.parties[member].first[:1]
        if relative.party_id:
            assert book.parties[relative.party_id].postal == book.parties[member].postal
            assert relative.party_id not in book.by_member


def test_payment_history_is_last_cycles_and_relatives_paid_then_too(households):
    book, _ = households
    history = payment_history(book, seed=3)
    by_member = {p.member_id: p for p in history}
    by_relative = [by_member[m] for m in book.relatives if m in by_member]

    assert history == payment_history(book, seed=3)
    assert all(p.paid_on < date(2025, 6, 30) for p in history)
    assert 0.6 < len(history) / sum(not book.parties[m].is_org for m in book.by_member) < 0.9
    paid_by_relative = [p for p in by_relative if _names(p.payer_name, book.relatives[p.member_id])]
    assert len(paid_by_relative) > len(by_relative) / 2


def test_relatives_who_usually_pay_pay_again(households):
    book, payments = households
    alone = Book(book.parties, book.invoices)  # the same book without its relatives
    spouses = [p for p in payments if p.scenario == "spouse"]
    usual = [p for p in spouses if _names(p.payer_name, book.relatives.get(p.truth_member))]
    unknown = [p for p in generate_payments(alone, 3000, seed=3) if p.scenario == "spouse"]

    assert len(usual) > len(spouses) / 3
    assert not any(_names(p.payer_name, book.relatives.get(p.truth_member)) for p in unknown)


def test_a_batch_pays_each_account_once_so_every_truth_fits_the_open_invoices(households):
    book, payments = households
    balance = {i.invoice_id: i.balance for i in book.invoices}
    owner = {i.invoice_id: (i.member_id, i.payer_id) for i in book.invoices}
    paid: set[str] = set()
    for p in payments:
        accounts = {party for invoice, _ in p.truth_allocations for party in owner[invoice]}
        assert not accounts & paid, p.payment_id
        assert all(0 < cents <= balance[invoice] for invoice, cents in p.truth_allocations)
        paid |= accounts
