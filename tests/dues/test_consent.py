"""Consent: opt-outs per member and channel (unsubscribe link, SMS STOP, staff), audited, noted in
iMIS, and honoured by every sender through the communications send path."""

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client

from common.errors import DomainError
from common.models import AuditEvent
from dues.collections import consent, planner
from dues.collections.member_views import twilio_signature, unsubscribe_link
from dues.models import ContactOptOut, DunningAction, DunningPause
from imis_client.models import OutboxWrite
from reviews.communications import communication_deliver, communication_send
from reviews.models import Communication

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)
TOKEN = "twilio-test-token"
SMS_URL = "http://testserver/webhooks/twilio/sms/"


@pytest.fixture(autouse=True)
def twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_URL = ""
    cache.clear()


@pytest.fixture
def member(mirror):
    return mirror.member("M1", "Ada Lovelace", email="ada@example.org", phone="(202) 555-0101")


def sms_post(client, params: dict, *, token: str = TOKEN):
    signature = twilio_signature(SMS_URL, {k: [v] for k, v in params.items()}, token)
    return client.post(
        "/webhooks/twilio/sms/",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def test_sms_stop_opts_the_member_out_audited_and_noted_in_imis(member):
    response = sms_post(Client(), {"From": "+12025550101", "Body": "Stop", "MessageSid": "SM1"})

    assert response.status_code == 200
    row = ContactOptOut.objects.get()
    assert (row.party_id, row.channel, row.source) == ("M1", "sms", "sms_stop")
    assert AuditEvent.objects.filter(action="consent.opted_out", member_id="M1").exists()
    assert OutboxWrite.objects.filter(entity="PartyNote", source=f"opt-out {row.pk}").exists()


def test_sms_with_a_bad_signature_is_403_and_writes_nothing(member):
    audits = AuditEvent.objects.count()

    response = sms_post(Client(), {"From": "+12025550101", "Body": "STOP"}, token="wrong")
    unsigned = Client().post("/webhooks/twilio/sms/", {"From": "+12025550101", "Body": "STOP"})

    assert (response.status_code, unsigned.status_code) == (403, 403)
    assert not ContactOptOut.objects.exists() and AuditEvent.objects.count() == audits


def test_sms_start_opts_back_in(member):
    sms_post(Client(), {"From": "+12025550101", "Body": "STOP"})
    sms_post(Client(), {"From": "+12025550101", "Body": "start"})

    assert ContactOptOut.objects.get().withdrawn_at is not None
    assert AuditEvent.objects.filter(action="consent.opted_in").exists()


def test_every_sender_honours_an_opt_out_even_a_transactional_reminder(member):
    consent.opt_out_record(party_id="M1", channel="sms", source="sms_stop")

    with pytest.raises(DomainError, match="opted out of text messages"):
        communication_send(
            key="k1",
            member_id="M1",
            to_address="+12025550101",
            subject="",
            body="Your dues are due",
            channel="sms",
            purpose="dunning_1",
        )
    email = communication_send(
        key="k2", member_id="M1", to_address="ada@example.org", subject="s", body="b"
    )
    assert email.status == Communication.Status.QUEUED


def test_a_message_queued_before_the_opt_out_is_not_handed_over(member):
    comm = communication_send(
        key="k3", member_id="M1", to_address="ada@example.org", subject="s", body="b"
    )
    consent.opt_out_record(party_id="M1", channel="email", source="link")

    communication_deliver(communication_id=comm.pk)

    comm.refresh_from_db()
    assert comm.status == Communication.Status.FAILED and "opted out" in comm.error


def test_unsubscribe_link_asks_then_records_once(member):
    url = unsubscribe_link("M1", "email").split("localhost:8000", 1)[-1]
    client = Client(enforce_csrf_checks=True)

    page = client.get(url)
    assert page.status_code == 200 and not ContactOptOut.objects.exists()
    token = page.cookies["csrftoken"].value
    client.post(url, {"csrfmiddlewaretoken": token})
    client.post(url, {"csrfmiddlewaretoken": token})

    row = ContactOptOut.objects.get()
    assert (row.party_id, row.channel, row.source) == ("M1", "email", "link")


def test_planner_pauses_an_email_step_for_an_opted_out_member(member, mirror):
    mirror.invoice("INV-1", "M1", "80.00", due_date=TODAY - timedelta(days=9))
    consent.opt_out_record(party_id="M1", channel="email", source="staff")

    result = planner.dunning_run(today=TODAY)

    assert result["filed"] == 0 and not DunningAction.objects.exists()
    assert DunningPause.objects.get().reason == "opt_out"
