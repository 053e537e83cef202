"""Bad input, generated: the webhooks, the BAI2 importer and the CSV importer fed random and
mutated input (hypothesis, mutations of the real samples in tests/fixtures/dues).

Every case ends in a clear 4xx, an import that names each bad line, or a file refused with a
message; nothing answers 500, nothing raises past the service, and nothing is half-stored: the rows
are counted before and after each example, and a refused request or file stores nothing.
"""

import json
import os
import time
from decimal import Decimal

import pytest
from django.db.models import Max
from django_q.models import OrmQ
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from common.errors import DomainError
from common.models import AuditEvent
from dues import intake
from dues.intake import webhooks
from dues.models import JournalTransaction, Payment, PaymentImport, WebhookEvent
from tests.dues.conftest import (
    ANET_KEY,
    FIXTURES,
    STRIPE_SECRET,
    anet_event,
    stripe_charge_event,
    stripe_object,
)

# Bounded: a few hundred examples per target, a few thousand in all, in well under a minute each.
# FUZZ_EXAMPLES=5000 searches longer (by hand, after a change to a reader).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

STRIPE = "/webhooks/stripe/"
ANET = "/webhooks/authorizenet/"


def counts() -> dict[str, int]:
    return {
        "events": WebhookEvent.objects.count(),
        "payments": Payment.objects.count(),
        "journal": JournalTransaction.objects.count(),
        "audit": AuditEvent.objects.count(),
        "queued": OrmQ.objects.count(),
        "imports": PaymentImport.objects.count(),
    }


def grew(before: dict, after: dict) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before if after[k] != before[k]}


# --- Values that break things: sizes past the columns, NULs, numbers past the fields ---------

# The names the readers look up, so that added keys reach them (dues/intake/webhooks.py).
READ_KEYS = st.sampled_from(
    [
        *webhooks.REFERENCE_KEYS,
        "id",
        "type",
        "object",
        "data",
        "charges",
        "latest_charge",
        "charge",
        "payment_intent",
        "billing_details",
        "address",
        "postal_code",
        "payment_method_details",
        "payment_method_types",
        "lines",
        "metadata",
        "amount",
        "amount_received",
        "amount_captured",
        "amount_paid",
        "amount_refunded",
        "currency",
        "created",
        "customer_name",
        "customer_email",
        "customer_address",
        "shipping",
        "name",
        "email",
        "receipt_email",
        "description",
        "number",
        "billTo",
        "customer",
        "authAmount",
        "refTransId",
        "responseCode",
        "invoiceNumber",
        "merchantReferenceId",
        "eventDate",
        "notificationId",
        "eventType",
        "payload",
        "firstName",
        "lastName",
        "company",
        "zip",
    ]
)


nasty_text = st.one_of(
    st.text(max_size=30),
    st.text(min_size=150, max_size=400),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "\u202e",
            "\ud7ff",
            "\ufeff",
            "NaN",
            "Infinity",
            "-1",
            "0",
            "1e999",
            "99999999999999999999.99",
            "=HYPERLINK(1)",
            "<script>",
            "ß" * 3,
        ]
    ),
)
nasty_number = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**12, 10**15, 10**20]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
)
json_leaf = st.one_of(st.none(), st.booleans(), nasty_number, nasty_text)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.one_of(READ_KEYS, nasty_text), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


def mutate_json(data, doc):
    """Replace, delete or add values at paths chosen in the document, a few times."""
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="mutations")):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return data.draw(json_value, label="whole")
        path = data.draw(st.sampled_from(paths), label="path")
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        op = data.draw(st.sampled_from(["replace", "delete", "add"]), label="op")
        if op == "replace" or isinstance(parent, list):
            parent[path[-1]] = data.draw(json_value, label="value")
        elif op == "delete":
            del parent[path[-1]]
        else:
            key = data.draw(st.one_of(READ_KEYS, nasty_text), label="key")
            parent[key] = data.draw(json_value, label="value")
    return doc


def mutate_bytes(data, body: bytes) -> bytes:
    """Insert, delete or overwrite a few bytes."""
    body = bytearray(body)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="byte edits")):
        at = data.draw(st.integers(min_value=0, max_value=len(body)), label="at")
        op = data.draw(st.sampled_from(["insert", "delete", "overwrite"]), label="byte op")
        chunk = data.draw(st.binary(min_size=1, max_size=4), label="bytes")
        if op == "insert":
            body[at:at] = chunk
        elif op == "delete":
            del body[at : at + len(chunk)]
        else:
            body[at : at + len(chunk)] = chunk
    return bytes(body)


def to_body(data, doc) -> bytes:
    def default(value):
        return str(value) if isinstance(value, Decimal) else repr(value)

    text = json.dumps(doc, ensure_ascii=data.draw(st.booleans(), label="ascii"), default=default)
    body = text.encode("utf-8", "surrogatepass")
    if data.draw(st.integers(min_value=0, max_value=4), label="byte-level") == 0:
        body = mutate_bytes(data, body)
    return body


# --- Webhooks ---------------------------------------------------------------------------------


def stripe_samples() -> list[dict]:
    events = []
    for kind in ("charge.succeeded", "charge.refunded"):
        events.append(stripe_charge_event(kind=kind, refunded=12000 if "refund" in kind else 0))
    intent = stripe_object("payment_intent")
    intent.update(amount_received=4500, created=int(time.time()))
    invoice = stripe_object("invoice")
    invoice.update(amount_paid=4500, created=int(time.time()))
    for kind, obj in (("payment_intent.succeeded", intent), ("invoice.paid", invoice)):
        events.append({"id": f"evt_{kind}", "type": kind, "data": {"object": obj}})
    return events


def anet_samples() -> list[dict]:
    return [
        anet_event(billTo={"firstName": "Ana", "lastName": "Lima", "zip": "30301"}),
        anet_event(kind="net.authorize.payment.refund.created", refTransId="60020981676"),
        anet_event(kind="net.authorize.payment.capture.created", invoiceNumber="10234"),
    ]


def check_delivery(client, url: str, body: bytes, headers: dict) -> None:
    before = counts()
    response = client.post(url, data=body, content_type="application/json", **headers)
    status = response.status_code
    hypothesis_event(f"answered {status}")
    assert status in (200, 400, 413), (status, body[:200])
    if status != 200:
        assert response.json()["error"], body[:200]
        assert grew(before, counts()) == {}, body[:200]
        return
    stored = grew(before, counts())
    if response.json()["duplicate"]:
        assert stored == {}
        return
    assert stored == {"events": 1, "queued": 1}
    # what the worker does with it: a payment, a refund, ignored or failed with a reason
    event_id = WebhookEvent.objects.aggregate(last=Max("pk"))["last"]
    before = counts()
    intake.webhook_events_drain()  # the queued run: it processes this event and clears the wake
    event = WebhookEvent.objects.get(pk=event_id)
    hypothesis_event(f"processed: {event.status} {event.error[:40]}")
    assert event.status in ("processed", "duplicate", "ignored", "failed"), event.status
    added = grew(before, counts())
    if event.status == "failed":
        assert event.error
        assert added == {}, (event.error, added)
    elif event.status == "processed" and event.payment and added.get("payments"):
        assert added["payments"] == 1 and added["journal"] >= 1


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_stripe_webhook_well_signed_mutations_end_in_400_or_a_processed_event(client, data):
    doc = data.draw(st.sampled_from(stripe_samples()), label="sample")
    body = to_body(data, mutate_json(data, doc))
    header = webhooks.stripe_sign(body, secret=STRIPE_SECRET, timestamp=int(time.time()))
    check_delivery(client, STRIPE, body, {"HTTP_STRIPE_SIGNATURE": header})


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_authorizenet_webhook_well_signed_mutations_end_in_400_or_a_processed_event(client, data):
    doc = data.draw(st.sampled_from(anet_samples()), label="sample")
    body = to_body(data, mutate_json(data, doc))
    header = webhooks.anet_sign(body, key=ANET_KEY)
    check_delivery(client, ANET, body, {"HTTP_X_ANET_SIGNATURE": header})


signature_text = st.one_of(
    st.text(max_size=200),
    st.builds(lambda a, b: f"t={a},v1={b}", st.text(max_size=12), st.text(max_size=70)),
    st.builds(lambda h: f"sha512={h}", st.text(alphabet="0123456789abcdefABCDEFé ", max_size=130)),
)


@pytest.mark.django_db
@FUZZ
@given(
    url=st.sampled_from([STRIPE, ANET]),
    body=st.one_of(st.binary(max_size=600), st.just(json.dumps(stripe_charge_event()).encode())),
    signature=signature_text,
)
def test_webhooks_with_random_bodies_and_signatures_answer_400_and_store_nothing(
    client, url, body, signature
):
    header = "HTTP_STRIPE_SIGNATURE" if url == STRIPE else "HTTP_X_ANET_SIGNATURE"
    before = counts()
    response = client.post(url, data=body, content_type="application/json", **{header: signature})
    assert response.status_code == 400
    assert response.json()["error"]
    assert grew(before, counts()) == {}


# --- Bank files -------------------------------------------------------------------------------

BAI2_SAMPLES = {path.name: path.read_bytes() for path in sorted((FIXTURES / "bai2").glob("*.txt"))}
field_text = st.one_of(
    st.text(alphabet="0123456789", max_size=20),
    st.sampled_from(["", "-1", "+0", "999999999999999999999", "0000", "ZZZ", "USDX", "/", "88"]),
    nasty_text,
)


def mutate_lines(data, text: str, separator: str) -> str:
    """Line- and field-level edits: drop, repeat or swap lines; change, add or drop a field."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="line edits")):
        if not lines:
            lines = [""]
        at = data.draw(st.integers(min_value=0, max_value=len(lines) - 1), label="line")
        op = data.draw(
            st.sampled_from(["field", "field", "field", "drop", "repeat", "swap", "add field"]),
            label="line op",
        )
        fields = lines[at].split(separator)
        if op == "field":
            index = data.draw(st.integers(min_value=0, max_value=len(fields) - 1), label="field")
            fields[index] = data.draw(field_text, label="value")
            lines[at] = separator.join(fields)
        elif op == "add field":
            fields.insert(
                data.draw(st.integers(min_value=0, max_value=len(fields)), label="where"),
                data.draw(field_text, label="value"),
            )
            lines[at] = separator.join(fields)
        elif op == "drop":
            del lines[at]
        elif op == "repeat":
            lines.insert(at, lines[at])
        else:
            other = data.draw(st.integers(min_value=0, max_value=len(lines) - 1), label="other")
            lines[at], lines[other] = lines[other], lines[at]
    return "\n".join(lines)


def check_import(filename: str, content: bytes) -> None:
    before = counts()
    try:
        record = intake.payment_import_file(filename=filename, content=content)
    except DomainError as exc:
        assert str(exc)
        assert grew(before, counts()) == {}, str(exc)
        return
    added = grew(before, counts())
    assert record.added + record.duplicates == record.lines
    assert added.get("payments", 0) == record.added
    assert added.get("journal", 0) == record.added
    assert added.get("imports") == 1
    for problem in record.report["error_lines"]:
        assert isinstance(problem["line"], int) and problem["line"] >= 1, problem
        assert problem["error"], problem
    stored = Payment.objects.filter(import_file=record)
    assert sorted(stored.values_list("line_number", flat=True)) == sorted(
        line for line in (a["line"] for a in _added_lines(record))
    )


def _added_lines(record) -> list[dict]:
    return [
        {"line": p.line_number}
        for p in Payment.objects.filter(pk__in=record.report["payments"]).only("line_number")
    ]


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_bai2_import_of_mutated_real_files_names_bad_lines_or_refuses_the_file(data):
    name = data.draw(st.sampled_from(sorted(BAI2_SAMPLES)), label="sample")
    text = BAI2_SAMPLES[name].decode("latin-1")
    mutated = mutate_lines(data, text, ",").encode("utf-8", "surrogatepass")
    if data.draw(st.integers(min_value=0, max_value=5), label="byte-level") == 0:
        mutated = mutate_bytes(data, mutated)
    check_import(f"{name}.bai2", mutated)


CSV_HEADER = ["date", "amount", "payer name", "reference", "memo", "method", "email", "currency"]
CSV_GOOD = (
    "date,amount,payer name,reference,memo,method,email,postal code,currency\n"
    "2026-03-02,120.00,John Smith,10234,Dues 2026,check,john@example.org,30301,USD\n"
    '03/02/2026,"1,234.50",Jane Smith,,"Dues, chapter",ach,,,\n'
    "2026-03-03,$45.00,,,,card,,,\n"
    "2026-03-04,60,Priya Patel,INV 10877,,wire,,,usd\n"
)
csv_cell = st.one_of(
    field_text,
    st.sampled_from(
        ["2026-03-02", "02/30/2026", "13/01/2026", "check", "ACH", "(12.00)", "$1.005"]
    ),
    st.text(alphabet=',"\n\r;\t ', max_size=4),
)


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_csv_import_of_random_and_mutated_files_names_bad_lines_or_refuses_the_file(data):
    shape = data.draw(st.sampled_from(["mutated", "random rows", "bytes"]), label="shape")
    if shape == "mutated":
        content = mutate_lines(data, CSV_GOOD, ",").encode("utf-8", "surrogatepass")
    elif shape == "random rows":
        header = data.draw(st.permutations(CSV_HEADER), label="header")
        rows = data.draw(
            st.lists(st.lists(csv_cell, min_size=0, max_size=9), max_size=8), label="rows"
        )
        delimiter = data.draw(st.sampled_from([",", ";", "\t"]), label="delimiter")
        text = "\n".join(delimiter.join(row) for row in [header, *rows])
        content = text.encode("utf-8", "surrogatepass")
    else:
        content = data.draw(st.binary(max_size=400), label="content")
    check_import("bank.csv", content)


# --- What the fuzzing found, kept as plain examples -------------------------------------------


@pytest.mark.django_db
def test_an_event_with_a_nul_character_is_refused_with_400(client):
    doc = stripe_charge_event()
    doc["data"]["object"]["description"] = "Dues\u0000"
    body = json.dumps(doc).encode()
    header = webhooks.stripe_sign(body, secret=STRIPE_SECRET, timestamp=int(time.time()))
    response = client.post(
        STRIPE, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "The body holds a NUL character (\\u0000), which no event carries."
    }
    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db
def test_an_event_with_fields_of_other_types_becomes_a_payment_without_them(client):
    # payment_method_types a number, charges a list, billing details a string: read as absent
    intent = stripe_object("payment_intent")
    intent.update(
        amount_received=4500,
        payment_method_types=408663,
        charges=["ch_1"],
        latest_charge={"billing_details": "Jenny"},
        metadata=[1],
    )
    doc = {"id": "evt_types", "type": "payment_intent.succeeded", "data": {"object": intent}}
    body = json.dumps(doc).encode()
    header = webhooks.stripe_sign(body, secret=STRIPE_SECRET, timestamp=int(time.time()))
    client.post(STRIPE, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    event = intake.webhook_event_process(event_id=WebhookEvent.objects.get().pk)
    assert (event.status, event.error) == ("processed", "")
    assert (event.payment.amount, event.payment.payer_name) == (Decimal("45.00"), "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (10**20, "The amount received is not an amount in minor units: 100000000000000000000."),
        ("12.5", "The amount received is not an amount in minor units: Decimal('12.5')."),
    ],
)
def test_an_event_amount_past_any_payment_fails_the_event_with_its_reason(client, amount, error):
    intent = stripe_object("payment_intent")
    intent.update(amount_received=0)
    doc = {"id": "evt_big", "type": "payment_intent.succeeded", "data": {"object": intent}}
    body = json.dumps(doc).replace('"amount_received": 0', f'"amount_received": {amount}').encode()
    header = webhooks.stripe_sign(body, secret=STRIPE_SECRET, timestamp=int(time.time()))
    client.post(STRIPE, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    event = intake.webhook_event_process(event_id=WebhookEvent.objects.get().pk)
    assert (event.status, event.error) == ("failed", error)
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_a_bank_file_with_nul_bytes_is_refused_whole_naming_the_line():
    content = "date,amount,payer name\n2026-03-02,10.00,A\n".encode("utf-16-le")
    with pytest.raises(DomainError, match=r"^bank.csv: Line 1 holds a NUL character: this is"):
        intake.payment_import_file(filename="bank.csv", content=content)
    assert counts()["imports"] == 0


@pytest.mark.django_db
def test_bai2_lines_the_payment_cannot_hold_are_named_and_the_rest_kept():
    text = BAI2_SAMPLES["sample1.txt"].decode()
    # a currency of eleven letters on the first account; a detail whose type code is empty
    text = text.replace("03,10200123456,CAD,040", "03,10200123456,CADCADCADCA,040", 1)
    text = text.replace("16,108,000000000011500,V", "16,,000000000011500,V", 1)
    record = intake.payment_import_file(filename="s1.bai2", content=text.encode())
    assert record.report["error_lines"] == [
        {"line": 8, "error": "currency: Ensure this value has at most 3 characters (it has 11)"},
        {"line": 9, "error": "currency: Ensure this value has at most 3 characters (it has 11)"},
        {"line": 10, "error": "currency: Ensure this value has at most 3 characters (it has 11)"},
        {
            "line": 19,
            "error": "the transaction detail could not be read "
            "('NoneType' object has no attribute 'code')",
        },
    ]
    assert (record.added, record.errors) == (1, 4)
    assert list(Payment.objects.values_list("line_number", flat=True)) == [20]


@pytest.mark.django_db
def test_csv_with_a_lone_carriage_return_and_an_amount_past_the_column_is_read():
    content = b"date,amount,payer name\r2026-03-02,10.00,A\r2026-03-02,1234567890123456.00,B\r"
    record = intake.payment_import_file(filename="bank.csv", content=content)
    assert record.report["error_lines"] == [
        {"line": 3, "error": "amount: Ensure that there are no more than 14 digits in total"}
    ]
    assert record.added == 1
