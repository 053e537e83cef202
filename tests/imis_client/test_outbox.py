"""The outbox: every write reaches iMIS exactly once, or fails with iMIS's own words."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from common.errors import DomainError
from imis_client.client import ImisClient
from imis_client.contracts import writes
from imis_client.models import OutboxWrite
from imis_client.services import outbox_cancel, outbox_enqueue, outbox_relay, outbox_retry

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=2)


def _audit_rows(sandbox, reference):
    with ImisClient(sandbox.base_url, "sandbox", "sandbox") as c:
        body = c.get("/api/AI_Audit_Log", {"OutboxId": f"eq:{reference}"})
    return body["Items"]["$values"]


def _audit(**extra):
    return outbox_enqueue(
        build=writes.audit_log,
        action="payment.applied",
        actor="frank",
        review_item_id="42",
        summary="Applied $120.00 to INV 300017",
        created_on=timezone.now().replace(tzinfo=None),
        party_id="10001",
        source="test",
        **extra,
    )


def test_outbox_delivers_a_write_once(client, sandbox):
    write = _audit()
    assert outbox_relay(client=client) == {"delivered": 1}
    write.refresh_from_db()
    assert write.state == "delivered" and write.attempts == 1
    assert len(_audit_rows(sandbox, write.reference)) == 1
    assert outbox_relay(client=client) == {}  # nothing left to send


def test_outbox_commit_then_timeout_leaves_exactly_one_object(sandbox, waits):
    # given iMIS applies the write, then the answer never arrives
    client = ImisClient(sandbox.base_url, "sandbox", "sandbox", timeout=0.5, sleep=waits)
    client.login()
    write = _audit()
    sandbox.faults.commit_timeout_next(1, seconds=2)
    assert outbox_relay(client=client) == {"pending": 1}
    write.refresh_from_db()
    assert write.ambiguous and "may or may not have applied it" in write.last_error
    # when the relay tries again, it reads back by our reference instead of writing twice
    assert outbox_relay(client=client, now=timezone.now() + LATER) == {"delivered": 1}
    assert len(_audit_rows(sandbox, write.reference)) == 1
    write.refresh_from_db()
    assert write.response["Properties"]


def test_outbox_connection_dropped_after_commit_on_a_payment_pays_once(sandbox, waits):
    client = ImisClient(sandbox.base_url, "sandbox", "sandbox", timeout=2, sleep=waits)
    invoices = client.get("/api/InvoiceSummary", {"Balance": "gt:0", "limit": 1})
    invoice = invoices["Items"]["$values"][0]
    balance = Decimal(repr(invoice["Balance"]["Amount"]))
    client.login()
    write = outbox_enqueue(
        build=writes.combo_order_payment,
        payer_party_id=invoice["SoldToParty"]["PartyId"],
        amount=balance,
        method_id="CHECK",
        invoices=[(invoice["InvoiceId"], balance)],
        message="check 1042",
    )
    sandbox.faults.commit_drop_next(1)
    outbox_relay(client=client)
    outbox_relay(client=client, now=timezone.now() + LATER)
    write.refresh_from_db()
    assert write.state == "delivered"
    payments = client.get("/api/Payment", {"ReferenceNumber": f"eq:{write.reference}"})
    assert len(payments["Items"]["$values"]) == 1
    after = client.get(f"/api/InvoiceSummary/{invoice['InvoiceId']}")
    assert after["Balance"]["Amount"] == 0


def test_outbox_write_refused_with_400_fails_with_imis_message_and_is_not_retried(client):
    write = outbox_enqueue(
        build=writes.combo_order_payment,
        payer_party_id="10001",
        amount=Decimal("10.00"),
        method_id="CHECK",
        invoices=[("999999999", Decimal("10.00"))],
    )
    assert outbox_relay(client=client) == {"failed": 1}
    write.refresh_from_db()
    assert write.state == "failed"
    assert write.last_error.startswith("iMIS refused POST /api/ComboOrder with HTTP 400: ")
    assert "999999999" in write.last_error and "not found" in write.last_error
    assert outbox_relay(client=client, now=timezone.now() + LATER) == {}
    assert write.attempts == 1


def test_outbox_unreachable_imis_retries_later_then_fails_after_max_attempts(
    sandbox, waits, settings
):
    settings.IMIS_OUTBOX_MAX_ATTEMPTS = 2
    client = ImisClient(sandbox.base_url, "sandbox", "sandbox", max_attempts=1, sleep=waits)
    client.login()
    write = _audit()
    sandbox.faults.fail_next(5, 503)
    assert outbox_relay(client=client) == {"pending": 1}
    assert outbox_relay(client=client, now=timezone.now() + LATER) == {"failed": 1}
    write.refresh_from_db()
    assert write.state == "failed" and "HTTP 503" in write.last_error


def test_outbox_renewal_risk_put_twice_is_one_row(client, sandbox):
    for band in ("High", "Medium"):
        outbox_enqueue(
            build=writes.renewal_risk,
            party_id="10002",
            band=band,
            score=Decimal("0.61"),
            reasons="attended no events this year",
            scored_on=timezone.now().replace(tzinfo=None),
            outreach_on=None,
            model_version="m1",
        )
    assert outbox_relay(client=client) == {"delivered": 2}
    row = client.get("/api/AI_RenewalRisk/10002")
    props = {p["Name"]: p.get("Value") for p in row["Properties"]["$values"]}
    assert props["RiskBand"] == "Medium"


def test_outbox_retry_and_cancel_follow_declared_transitions(client):
    write = _audit()
    outbox_cancel(write_id=write.pk)
    with pytest.raises(DomainError, match=r"is cancelled; it cannot become pending\."):
        outbox_retry(write_id=write.pk)
    assert OutboxWrite.objects.get(pk=write.pk).state == "cancelled"


def test_outbox_write_left_sending_by_a_dead_sender_is_read_back_and_delivered_once(
    client, sandbox
):
    # given a sender that posted the write to iMIS and died before recording the answer
    write = _audit()
    client.request(write.method, write.path, json=write.body, write=True)
    OutboxWrite.objects.filter(pk=write.pk).update(state="sending", attempts=1)
    # when the relay runs
    assert outbox_relay(client=client) == {"reclaimed": 1, "delivered": 1}
    # then it was taken up again, found in iMIS by its reference, and not written twice
    write.refresh_from_db()
    assert (write.state, write.ambiguous, write.attempts) == ("delivered", True, 2)
    assert len(_audit_rows(sandbox, write.reference)) == 1


def test_outbox_write_whose_sender_is_alive_is_left_to_it(client, django_db_blocker):
    import psycopg
    from django.db import connection

    from imis_client.services import _sending_lock

    write = _audit()
    OutboxWrite.objects.filter(pk=write.pk).update(state="sending", attempts=1)
    # given its sender's session holds the write's lock (another connection: another process)
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as sender:
        sender.execute("SELECT pg_advisory_lock(%s, %s)", _sending_lock(write.pk))
        # when the relay runs, it does not take the write from its sender
        assert outbox_relay(client=client) == {}
    write.refresh_from_db()
    assert write.state == "sending"
