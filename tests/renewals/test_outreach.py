"""Outreach proposals: who calls, which offer, who approves, what one approval does, the
hold-out group, one proposal per member and term, SMS reminders, win-back and write-back."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from common.errors import DomainError
from imis_client.models import OutboxWrite
from renewals import kinds
from renewals.conf import renewal_settings
from renewals.models import HoldoutAssignment, ModelVersion, Outreach, OutreachTask, ScoringRun
from renewals.outreach import in_holdout, propose_for_run
from renewals.services import proposals_file
from renewals.winback import propose_win_backs
from reviews.models import Communication, ReviewItem
from reviews.services import review_item_decide, review_item_execute
from tests.conftest import PASSWORD
from tests.renewals import factories as f

TODAY = date(2025, 6, 30)
REASONS = [{"topic": "events", "text": "attended no events this year, 3 last year", "weight": 0.8}]


@pytest.fixture
def version(db):
    return ModelVersion.objects.create(
        status="active",
        as_of=TODAY,
        training_size=1000,
        validation_size=500,
        metrics={"auc": 0.82},
        baseline_metrics={"auc": 0.72},
        booster=b"",
    )


def scoring(version, members: list[tuple], *, run_day: date = TODAY) -> ScoringRun:
    """A run with a score per (member id, probability, band, dues, chapter, paid thru)."""
    run = ScoringRun.objects.create(
        as_of=run_day, model_version=version, horizon_days=120, status="succeeded"
    )
    for member_id, p, band, dues, chapter, paid_thru in members:
        run.scores.create(
            model_version=version,
            member_id=member_id,
            member_name=f"Member {member_id}",
            chapter=chapter,
            member_type="REG",
            paid_thru=paid_thru,
            dues_amount=Decimal(dues),
            probability=Decimal(p),
            band=band,
            reasons=REASONS,
            next_action="Personal call; invite them to the next chapter event",
            scored_on=run_day,
        )
    return run


def propose(run):
    return propose_for_run(run, conf=renewal_settings(), today=TODAY)


@pytest.fixture
def no_holdout(settings):
    settings.RENEWALS_HOLDOUT_SHARE = 0.0


def test_caller_is_the_relationship_owner_else_the_next_in_the_chapter_rotation(
    version, staff, no_holdout
):
    for member_id, chapter in [("4001", "NE"), ("4002", "NE"), ("4003", "NE"), ("4004", "SW")]:
        f.party(member_id, chapter=chapter)
    f.owner("4001", "MAYA")  # iMIS names staff by their user id, in any case
    run = scoring(
        version,
        [
            (m, "0.6100", "high", "325.00", c, date(2025, 8, 31))
            for m, c in [("4001", "NE"), ("4002", "NE"), ("4003", "NE"), ("4004", "SW")]
        ],
    )
    propose(run)
    callers = {o.member_id: o.staff.username for o in Outreach.objects.select_related("staff")}
    assert callers == {"4001": "maya", "4002": "jo", "4003": "maya", "4004": "jo"}
    notes = ReviewItem.objects.get(member_id="4001").payload["notes"]
    assert "Caller: relationship owner in iMIS." in notes
    notes = ReviewItem.objects.get(member_id="4003").payload["notes"]
    assert "Caller: next in the NE chapter rotation." in notes


def test_incentive_within_policy_stays_with_staff_and_above_the_threshold_needs_a_manager(
    version, staff, no_holdout
):
    f.party("4011")
    f.party("4012", customer_type="CORP", is_organization=True)
    rows = [
        ("4011", "0.5500", "high", "325.00", "NE", date(2025, 8, 31)),
        ("4012", "0.5000", "high", "1500.00", "NE", date(2025, 8, 31)),
    ]
    run = scoring(version, rows)
    propose(run)
    regular = ReviewItem.objects.get(member_id="4011")
    corporate = ReviewItem.objects.get(member_id="4012")
    assert (regular.kind, regular.payload["incentive"], regular.amount) == (
        kinds.OUTREACH,
        "32.50",
        Decimal("32.50"),
    )
    assert (regular.queue, regular.needs_manager) == ("membership", False)
    assert (corporate.payload["incentive"], corporate.amount) == ("150.00", Decimal("150.00"))
    assert (corporate.queue, corporate.needs_manager) == ("manager", True)
    # a membership staff member cannot approve the larger offer
    refused = r"^Your role cannot decide items in the manager queue\.$"
    with pytest.raises(DomainError, match=refused):
        review_item_decide(item_id=corporate.pk, user=staff["maya"], decision="accept")


def test_approved_outreach_sends_one_email_one_risk_write_and_puts_a_call_on_the_home_page(
    version, staff, no_holdout, client, django_capture_on_commit_callbacks
):
    f.party("4021", email="zoe@example.org")
    f.owner("4021", "maya")
    run = scoring(version, [("4021", "0.7200", "high", "325.00", "NE", date(2025, 8, 31))])
    propose(run)
    item = ReviewItem.objects.get(member_id="4021")
    # when a manager approves it and the effect runs (twice, as a retried task would)
    review_item_decide(item_id=item.pk, user=staff["grace"], decision="accept")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):  # the email goes after commit
            review_item_execute(item_id=item.pk)
    item.refresh_from_db()
    assert item.status == "done", item.effect_error
    # then exactly one e-mail went to the member, with the drafted words
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zoe@example.org"]
    assert mail.outbox[0].subject == item.payload["draft"]["subject"]
    assert Communication.objects.filter(member_id="4021", status="sent").count() == 1
    # one AI_RenewalRisk write tags the member with the band and the outreach date
    risk = OutboxWrite.objects.filter(entity="AI_RenewalRisk")
    assert risk.count() == 1
    values = {p["Name"]: p["Value"] for p in risk.get().body["Properties"]["$values"]}
    assert values["RiskBand"] == "High"
    assert values["OutreachTriggeredOn"]["$value"].startswith("2")
    assert OutboxWrite.objects.filter(entity="Activity").count() == 1  # the e-mail, in iMIS
    # and the caller has a task on their home page
    task = OutreachTask.objects.get()
    assert (task.staff, task.status, task.item_id) == (staff["maya"], "open", item.pk)
    client.login(username="maya", password=PASSWORD)
    home = client.get(reverse("home")).content.decode()
    assert "Outreach calls to make" in home
    assert reverse("renewals:tasks") in home


def test_outreach_goes_stale_when_the_member_renews_before_it_is_sent(version, staff, no_holdout):
    member = f.party("4031")
    run = scoring(version, [("4031", "0.4000", "high", "325.00", "NE", date(2025, 8, 31))])
    propose(run)
    item = ReviewItem.objects.get(member_id="4031")
    review_item_decide(item_id=item.pk, user=staff["grace"], decision="accept")
    member.paid_thru = date(2026, 8, 31)
    member.save()
    item = review_item_execute(item_id=item.pk)
    assert item.status == "stale"
    assert item.stale_reason == "Member 4031 has renewed: paid through 2026-08-31."
    assert len(mail.outbox) == 0


def test_hold_out_members_only_ever_get_the_standard_notice(version, staff, settings):
    settings.RENEWALS_HOLDOUT_SHARE = 1.0
    rows = [("4041", "0.8000", "high"), ("4042", "0.2000", "medium"), ("4043", "0.0500", "low")]
    for member_id, _, _ in rows:
        f.party(member_id)
    run = scoring(version, [(m, p, b, "325.00", "NE", date(2025, 8, 31)) for m, p, b in rows])
    propose(run)
    kinds_filed = dict(ReviewItem.objects.values_list("member_id", "kind"))
    assert kinds_filed == {"4041": kinds.NOTICE, "4042": kinds.NOTICE, "4043": kinds.NOTICE}
    groups = dict(Outreach.objects.values_list("member_id", "group"))
    assert groups == {"4041": "holdout", "4042": "holdout", "4043": "standard"}
    assert set(run.scores.filter(holdout=True).values_list("member_id", flat=True)) == {
        "4041",
        "4042",
    }
    # the group is fixed for the term: a later run with no hold-out share changes nothing
    settings.RENEWALS_HOLDOUT_SHARE = 0.0
    again = scoring(version, [("4041", "0.9000", "high", "325.00", "NE", date(2025, 8, 31))])
    propose(again)
    assert not ReviewItem.objects.filter(kind=kinds.OUTREACH).exists()
    assert HoldoutAssignment.objects.get(member_id="4041").holdout is True


def test_hold_out_share_is_about_the_configured_tenth():
    drawn = [in_holdout(str(100000 + i), date(2025, 8, 31), 0.10) for i in range(5000)]
    assert 0.085 <= sum(drawn) / len(drawn) <= 0.115


def test_no_member_gets_two_outreach_items_for_the_same_term(version, staff, no_holdout):
    f.party("4051")
    first = scoring(version, [("4051", "0.2000", "medium", "325.00", "NE", date(2025, 8, 31))])
    assert propose(first)["outreach"] == 1
    # the member's risk rises before renewal: still one proposal for the term
    second = scoring(version, [("4051", "0.6000", "high", "325.00", "NE", date(2025, 8, 31))])
    assert propose(second)["outreach"] == 0
    assert ReviewItem.objects.filter(member_id="4051").count() == 1
    # the next term is another matter
    third = scoring(version, [("4051", "0.6000", "high", "340.00", "NE", date(2026, 8, 31))])
    assert propose(third)["outreach"] == 1
    assert ReviewItem.objects.filter(member_id="4051").count() == 2


def test_medium_risk_member_without_email_gets_an_sms_reminder(version, staff, no_holdout):
    f.party("4061", email="", phone="+1 617 555 0101")
    run = scoring(version, [("4061", "0.2000", "medium", "325.00", "NE", date(2025, 8, 31))])
    propose(run)
    item = ReviewItem.objects.get(member_id="4061")
    assert item.kind == kinds.REMINDER
    assert item.payload["draft"]["channel"] == "sms" and "to" not in item.payload
    from reviews.communications import recipient_for

    assert recipient_for(item.member_id, "sms") == "+1 617 555 0101"


def test_win_back_offers_a_first_term_prorated_to_the_old_anniversary(staff):
    f.party("4071", status="I", paid_thru=date(2025, 1, 31), chapter="NE")
    f.invoice("4071", date(2024, 12, 1), date(2025, 1, 31), "325.00", balance="325.00")
    f.event("NE-2509", date(2025, 9, 10), chapter="NE")
    f.activity("4071", "WEBLOGIN", date(2024, 7, 1), date(2024, 12, 31), date(2024, 12, 1), 40)
    counts = propose_win_backs(today=TODAY, conf=renewal_settings())
    assert counts["win_back"] == 1
    item = ReviewItem.objects.get(member_id="4071")
    assert item.kind == kinds.WIN_BACK
    assert item.amount == Decimal("216.67")  # 8 of 12 months of 325.00, rounded half up
    assert item.payload["offer"] == (
        "Rejoin for $216.67: a first term prorated to 8 months, ending 2026-01-31 (full year "
        "$325.00). Upcoming in their chapter: Event NE-2509 on 2025-09-10. Used most: web "
        "logins (40)."
    )
    assert propose_win_backs(today=TODAY, conf=renewal_settings()) == {}  # once per term


def test_a_win_back_goes_to_the_members_own_address_whatever_an_edit_says(
    staff, django_capture_on_commit_callbacks
):
    f.party("4071", status="I", paid_thru=date(2025, 1, 31), chapter="NE")
    f.invoice("4071", date(2024, 12, 1), date(2025, 1, 31), "325.00", balance="325.00")
    propose_win_backs(today=TODAY, conf=renewal_settings())
    item = ReviewItem.objects.get(member_id="4071")
    assert "to" not in item.payload
    # membership staff edit the message and slip in another recipient
    draft = {**item.payload["draft"], "body": item.payload["draft"]["body"] + "\n\nSee you!"}
    edited = review_item_decide(
        item_id=item.pk,
        user=staff["maya"],
        decision="edit",
        payload={**item.payload, "draft": draft, "to": "collector@outside.example"},
    )
    assert "to" not in edited.payload
    review_item_decide(item_id=item.pk, user=staff["jo"], decision="accept")
    with django_capture_on_commit_callbacks(execute=True):
        review_item_execute(item_id=item.pk)
    [sent] = mail.outbox
    member_email = Communication.objects.get(item=item).to_address
    assert sent.to == [member_email] and member_email.endswith("@example.org")
    assert "collector@outside.example" not in str(sent.message())


def test_write_back_puts_each_changed_band_in_imis_once(version, staff, no_holdout):
    f.party("4081")
    f.party("4082")
    rows = [
        ("4081", "0.5000", "high", "325.00", "NE", date(2025, 8, 31)),
        ("4082", "0.0500", "low", "325.00", "NE", date(2025, 8, 31)),
    ]
    run = scoring(version, rows)
    run.scored = 2
    proposals_file(run=run, today=TODAY)
    item = ReviewItem.objects.get(kind=kinds.WRITEBACK)
    review_item_decide(item_id=item.pk, user=staff["grace"], decision="accept")
    assert review_item_execute(item_id=item.pk).effect_result == {"written": 2, "unchanged": 0}
    # the next day only the member whose band changed is written again
    rows[1] = ("4082", "0.2000", "medium", "325.00", "NE", date(2025, 8, 31))
    later = scoring(version, rows, run_day=date(2025, 7, 1))
    later.scored = 2
    proposals_file(run=later, today=date(2025, 7, 1))
    item = ReviewItem.objects.get(kind=kinds.WRITEBACK, payload__run=later.pk)
    review_item_decide(item_id=item.pk, user=staff["grace"], decision="accept")
    assert review_item_execute(item_id=item.pk).effect_result == {"written": 1, "unchanged": 1}
    assert OutboxWrite.objects.filter(entity="AI_RenewalRisk").count() == 3
