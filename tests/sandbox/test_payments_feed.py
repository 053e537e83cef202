"""The sandbox's payments through the real intake: files and signed webhooks, each stored once,
with what matching needs intact (the truth member is found among the candidates)."""

import json
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from dues import intake
from dues.models import Payment, WebhookEvent
from imis_client.models import ImisInvoice, ImisParty
from sandbox.imis import generate
from sandbox.imis.generator import DEFAULT_AS_OF
from sandbox.payments import book_from_association, generate_payments, write_payment_files

# The desk's webhook secrets as the dues tests set them; webhook_secrets is autouse, so
# importing it applies it here too.
from tests.dues.conftest import ANET_KEY, STRIPE_SECRET, webhook_secrets  # noqa: F401


def mirror_the_book(book) -> None:
    """What a sync would have put in the mirror for these invoices and parties."""
    now = timezone.now()
    ImisParty.objects.bulk_create(
        ImisParty(
            imis_id=p.party_id,
            name=p.name,
            first_name=p.first,
            last_name=p.last,
            informal_name=p.informal,
            email=p.email,
            is_organization=p.is_org,
            primary_org_id=p.org_id,
            primary_org_name=book.parties[p.org_id].name if p.org_id in book.parties else "",
            raw={},
            raw_hash=0,
            synced_at=now,
        )
        for p in book.parties.values()
    )
    ImisInvoice.objects.bulk_create(
        ImisInvoice(
            imis_id=i.invoice_id,
            number=i.number,
            sold_to_id=i.member_id,
            bill_to_id=i.payer_id,
            balance=Decimal(i.balance) / 100,
            amount=Decimal(i.balance) / 100,
            invoice_date=i.invoice_date,
            is_open=True,
            description=i.description,
            raw={},
            raw_hash=0,
            synced_at=now,
        )
        for i in book.invoices
    )


def payment_for(truth: dict) -> Payment:
    channel, key = truth["channel"], truth["source_key"]
    if channel == "csv":
        return Payment.objects.get(source="csv", line_number=int(key.split()[1]))
    if channel == "bai2":
        return Payment.objects.get(source="bai2", provider_id=key)
    return WebhookEvent.objects.get(source=channel, event_id=key).payment


def test_sandbox_payments_arrive_once_each_and_match_to_their_member(
    live_server, transactional_db, tmp_path
):
    association = generate(300, seed=11, as_of=DEFAULT_AS_OF)
    book = book_from_association(association)
    mirror_the_book(book)
    payments = generate_payments(book, 80, seed=5, as_of=association.today)
    counts = write_payment_files(
        payments,
        tmp_path,
        as_of=association.today,
        stripe_secret=STRIPE_SECRET,
        authorizenet_key=ANET_KEY,
    )
    truths = json.loads((tmp_path / "truth.json").read_text())
    # files through import_payments, webhooks over HTTP to the running site
    for name in ("payments.bai2", "payments.csv"):
        report = StringIO()
        call_command("import_payments", str(tmp_path / name), stdout=report)
        assert json.loads(report.getvalue())["errors"] == 0
    delivered = StringIO()
    call_command(
        "deliver_webhooks",
        str(tmp_path / "webhooks.jsonl"),
        base_url=live_server.url,
        resign=True,
        stdout=delivered,
    )
    hooks = counts["stripe"] + counts["authorizenet"]
    assert json.loads(delivered.getvalue()) == {"delivered": hooks, "status": {"200": hooks}}
    for event_id in WebhookEvent.objects.values_list("pk", flat=True):
        intake.webhook_event_process(event_id=event_id)
    # every payment arrived exactly once, for exactly its amount
    assert Payment.objects.count() == len(payments) == len(truths)
    for truth in truths:
        assert payment_for(truth).amount == Decimal(truth["amount"])
    # the same files and deliveries again add nothing
    call_command("import_payments", str(tmp_path / "payments.bai2"), stdout=StringIO())
    call_command(
        "deliver_webhooks",
        str(tmp_path / "webhooks.jsonl"),
        base_url=live_server.url,
        resign=True,
        stdout=StringIO(),
    )
    assert Payment.objects.count() == len(payments)
    # matching finds the member each payment was meant for among its top three
    call_command("match_payments", stdout=StringIO())
    ours = [t for t in truths if t["member_id"]]
    found = 0
    for truth in ours:
        candidates = payment_for(truth).candidates.filter(rank__lte=3)
        members = {c.member_id for c in candidates} | {c.payer_id for c in candidates}
        found += truth["member_id"] in members
    assert found / len(ours) >= 0.9, f"{found} of {len(ours)}"
    not_ours = [payment_for(t) for t in truths if not t["member_id"]]
    assert all(p.status in ("proposed", "unmatched") for p in not_ours)


def test_sandbox_payments_command_feeds_the_queue_from_the_mirror(
    live_server, transactional_db, tmp_path
):
    mirror_the_book(book_from_association(generate(200, seed=3, as_of=DEFAULT_AS_OF)))
    out = StringIO()
    call_command(
        "sandbox_payments",
        count=30,
        seed=2,
        dir=str(tmp_path),
        feed=True,
        base_url=live_server.url,
        stdout=out,
    )
    report = json.loads(out.getvalue())
    written = report["written"]
    assert sum(written.values()) == 30
    hooks = written["stripe"] + written["authorizenet"]
    assert report["webhooks"] == {"delivered": hooks, "status": {"200": hooks}}
    assert report["imported"]["payments.bai2"] == {"added": written["bai2"], "errors": 0}
    for event_id in WebhookEvent.objects.values_list("pk", flat=True):
        intake.webhook_event_process(event_id=event_id)
    assert Payment.objects.count() == 30
