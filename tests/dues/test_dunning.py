"""The dunning cadence and planner: due steps filed once with a drafted message, pauses that begin
and end on their own, the send-time re-check, and the cadence's audited edits."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from common.errors import DomainError
from common.models import AuditEvent
from dues.collections import cadence, planner
from dues.models import DunningAction, DunningPause, DunningStep, Finding
from imis_client.models import OutboxWrite
from reviews.models import Communication, DraftRecord, ReviewItem
from reviews.services import review_item_decide, review_item_execute

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


@pytest.fixture
def overdue(mirror):
    """A member with an email and a mobile, and an invoice 10 days past due."""
    mirror.member("M1", "Ada Lovelace", email="ada@example.org", phone="+1 202 555 0101")
    return mirror.invoice("INV-1", "M1", "240.00", due_date=TODAY - timedelta(days=10))


def test_default_cadence_is_the_issues_six_steps():
    steps = [(s.offset_days, s.channel, s.purpose) for s in DunningStep.objects.filter(active=True)]
    assert steps == [
        (-7, "email", "dunning_1"),
        (7, "email", "dunning_1"),
        (21, "sms", "dunning_2"),
        (35, "email", "payment_plan"),
        (50, "call", ""),
        (60, "email", "dunning_3"),
    ]


def test_planner_files_the_days_step_once_with_a_drafted_message(overdue):
    first = planner.dunning_run(today=TODAY)
    second = planner.dunning_run(today=TODAY)

    assert (first["filed"], second["filed"]) == (1, 0)
    action = DunningAction.objects.get()
    assert (action.invoice_id, action.step.code, action.is_open) == ("INV-1", "reminder", True)
    item = action.review_item
    assert item.kind == "dues.dunning_step" and item.status == ReviewItem.Status.PENDING
    assert item.payload["draft"]["purpose"] == "dunning_1"
    assert "240.00" in item.payload["draft"]["body"]
    assert item.proposed_by_job == "dunning planner"


def test_a_step_not_applying_to_the_band_is_not_filed(mirror):
    # day -7 is for high risk only: an unscored invoice gets nothing before its due date
    mirror.member("M2", "Bo Li", email="bo@example.org")
    mirror.invoice("INV-2", "M2", "90.00", due_date=TODAY + timedelta(days=5))

    assert planner.dunning_run(today=TODAY)["filed"] == 0


def test_open_billing_finding_pauses_then_resumes_when_resolved(overdue):
    finding = Finding.objects.create(
        invoice_id="INV-1",
        member_id="M1",
        kind=Finding.Kind.WRONG_TIER,
        status=Finding.Status.OPEN,
        billed=Decimal("240.00"),
        expected=Decimal("200.00"),
        difference=Decimal("-40.00"),
        confidence=Decimal("0.9"),
        summary="Billed at the wrong tier",
        created_at=timezone.now(),
        checked_at=timezone.now(),
    )

    paused = planner.dunning_run(today=TODAY)
    assert paused["filed"] == 0 and paused["paused"] == 1
    pause = DunningPause.objects.get()
    assert (pause.reason, pause.ended_at) == ("billing_finding", None)
    assert AuditEvent.objects.filter(action="dunning.paused", object_id="INV-1").exists()

    Finding.objects.filter(pk=finding.pk).update(status=Finding.Status.RESOLVED)
    resumed = planner.dunning_run(today=TODAY)

    assert resumed["filed"] == 1
    pause.refresh_from_db()
    assert pause.ended_at is not None
    assert AuditEvent.objects.filter(action="dunning.resumed", object_id="INV-1").exists()


def test_approved_step_sends_once_with_unsubscribe_footer_and_logs_to_imis(
    overdue, make_user, smtp_sink, django_capture_on_commit_callbacks
):
    planner.dunning_run(today=TODAY)
    item = ReviewItem.objects.get(kind="dues.dunning_step")
    approver = make_user("Finance staff", "fin1")

    review_item_decide(item_id=item.pk, user=approver, decision="accept", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        review_item_execute(item_id=item.pk)
    with django_capture_on_commit_callbacks(execute=True):
        review_item_execute(item_id=item.pk)

    comm = Communication.objects.get()
    assert (comm.to_address, comm.status) == ("ada@example.org", Communication.Status.SENT)
    assert "Unsubscribe: http" in comm.body and "/m/unsubscribe/" in comm.body
    action = DunningAction.objects.get()
    assert (action.status, action.is_open) == ("sent", False)
    assert OutboxWrite.objects.filter(
        entity="Activity", source=f"communication {comm.key}"
    ).exists()
    assert len(smtp_sink.messages) == 1


def test_invoice_paid_before_sending_makes_the_item_stale_and_sends_nothing(overdue, make_user):
    planner.dunning_run(today=TODAY)
    item = ReviewItem.objects.get(kind="dues.dunning_step")
    review_item_decide(
        item_id=item.pk, user=make_user("Finance staff", "fin1"), decision="accept", enqueue=False
    )
    overdue.balance, overdue.is_open = Decimal("0.00"), False
    overdue.save()

    item = review_item_execute(item_id=item.pk)

    assert item.status == ReviewItem.Status.STALE
    assert item.stale_reason == "the invoice is paid or closed"
    assert not Communication.objects.exists()


def test_cadence_change_is_audited_and_bad_purpose_refused(make_user):
    manager = make_user("Manager", "boss")

    cadence.dunning_step_save(user=manager, code="reminder", offset_days=10, mode="auto")

    step = DunningStep.objects.get(code="reminder")
    assert (step.offset_days, step.mode) == (10, "auto")
    event = AuditEvent.objects.get(action="dunning.step_changed")
    assert event.data["before"]["offset_days"] == 7 and event.data["after"]["offset_days"] == 10
    with pytest.raises(DomainError, match="Choose a drafting purpose about an invoice"):
        cadence.dunning_step_save(user=manager, code="reminder", purpose="win_back")


def test_auto_step_is_sent_without_review_and_labelled(overdue, make_user, smtp_sink):
    cadence.dunning_step_save(user=make_user("Manager", "boss"), code="reminder", mode="auto")

    planner.dunning_run(today=TODAY)

    item = ReviewItem.objects.get(kind="dues.dunning_step")
    assert item.decided_by_policy and item.status == ReviewItem.Status.APPROVED


def test_observe_step_is_recorded_only_and_frees_the_invoice(overdue, make_user):
    cadence.dunning_step_save(user=make_user("Manager", "boss"), code="reminder", mode="observe")

    planner.dunning_run(today=TODAY)

    action = DunningAction.objects.get()
    assert action.review_item.status == ReviewItem.Status.OBSERVED
    assert (action.status, action.is_open) == ("closed", False)


@pytest.mark.django_db(transaction=True)
def test_two_planners_at_once_file_each_step_once(mirror):
    from tests.conftest import at_once

    for n in range(30):
        mirror.member(f"P{n}", f"Member {n}", email=f"p{n}@example.org")
        mirror.invoice(f"I{n}", f"P{n}", "50.00", due_date=TODAY - timedelta(days=8))
    due = planner.dunning_due(today=TODAY)["due"]

    outcomes = at_once(lambda: planner.dunning_file(due=due, today=TODAY))

    assert sorted(o["filed"] for o in outcomes) == [0, 30]
    assert DunningAction.objects.count() == 30
    assert ReviewItem.objects.filter(kind="dues.dunning_step").count() == 30


def test_database_refuses_a_second_open_step_for_an_invoice(overdue):
    from django.db import IntegrityError, transaction

    planner.dunning_run(today=TODAY)
    action = DunningAction.objects.get()
    final = DunningStep.objects.get(code="final")

    with pytest.raises(IntegrityError), transaction.atomic():
        DunningAction.objects.create(
            invoice_id="INV-1",
            party_id="M1",
            step=final,
            planned_for=TODAY,
            balance=action.balance,
        )


def test_autopay_invoice_waits_for_the_charge_then_resumes_after_the_grace(mirror, clock, settings):
    # given an invoice a week past due whose member keeps a card on auto-pay, charged and
    # settling within 10 days
    settings.COLLECTIONS_AUTOPAY_GRACE_DAYS = 10
    mirror.member("M3", "Cy Twombly", email="cy@example.org")
    mirror.invoice(
        "INV-3", "M3", "180.00", due_date=TODAY - timedelta(days=7), autopay_instruction_id="7001"
    )
    clock("2026-12-07T09:00")

    # when the day's dunning is planned, the +7 reminder waits for the charge
    paused = planner.dunning_run(today=TODAY)
    assert (paused["filed"], paused["paused"]) == (0, 1)
    pause = DunningPause.objects.get(invoice_id="INV-3")
    assert pause.reason == "autopay"
    assert pause.detail == "auto-pay charges the card on file on 30 November 2026"

    # when the grace has passed and the charge did not settle it, the cadence resumes
    clock("2026-12-11T09:00")
    resumed = planner.dunning_run(today=TODAY + timedelta(days=4))
    assert resumed["filed"] == 1
    pause.refresh_from_db()
    assert pause.ended_at is not None


def test_invoice_without_autopay_is_not_paused_for_it(overdue, clock):
    clock("2026-12-07T09:00")
    assert planner.dunning_run(today=TODAY)["filed"] == 1
    assert not DunningPause.objects.filter(reason="autopay").exists()


@pytest.mark.parametrize("per_step", [1, 8])
def test_filing_a_batch_takes_the_same_few_queries_however_many_steps_it_files(
    mirror, per_step, django_assert_max_num_queries
):
    # per_step invoices at each step of the cadence: emails, texts, plan offers, calls (a call
    # for a balance of 500.00 or more)
    for n in range(per_step):
        for days in (8, 22, 36, 51, 61):
            member = f"Q{days}-{n}"
            mirror.member(
                member, f"Member {member}", email=f"{member}@example.org", phone="+1 202 555 0199"
            )
            balance = "640.00" if days == 51 else "240.00"
            mirror.invoice(f"I{member}", member, balance, due_date=TODAY - timedelta(days=days))
    due = planner.dunning_due(today=TODAY)["due"]
    assert sorted({d.step.code for d in due}) == ["call", "final", "plan_offer", "reminder", "sms"]

    with django_assert_max_num_queries(45):
        filed = planner.dunning_file(due=due, today=TODAY)

    assert filed["filed"] == len(due) == 5 * per_step
    records = set(DraftRecord.objects.values_list("pk", flat=True))
    for action in DunningAction.objects.select_related("review_item", "step"):
        payload = action.review_item.payload
        if action.step.channel == "call":
            assert payload["history"].startswith(f"I{action.party_id} ")
        else:  # drafted, and the draft's record kept
            assert payload["draft"]["record_id"] in records
            assert payload["draft"]["invoice_id"] == action.invoice_id
