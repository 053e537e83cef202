"""Review decisions: every rule, with its exact message; one decision and one effect under races."""

import re
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from common import roles
from common.errors import DomainError
from common.models import AuditEvent
from imis_client.models import OutboxWrite
from reviews import item_events, services
from reviews.models import ReviewItem, ReviewPolicy
from tests.support.kinds import STALE_MEMBERS

pytestmark = pytest.mark.django_db


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


def propose(**extra):
    args = {
        "kind": "tests.note",
        "title": "Note for 10001",
        "payload": {"text": "Thanks!"},
        "member_id": "10001",
        "amount": Decimal("40.00"),
        "confidence": Decimal("0.95"),
    }
    args.update(extra)
    return services.review_item_propose(**args)


def test_propose_files_a_pending_item_in_its_queue():
    item = propose()
    assert (item.status, item.queue, item.needs_manager) == ("pending", "finance", False)
    assert AuditEvent.objects.filter(action="review.proposed", object_id=str(item.pk)).exists()


def test_propose_validates_the_payload_through_its_kind():
    with pytest.raises(DomainError, match=exactly("The note needs some text.")):
        propose(payload={"text": "  "})


def test_propose_refuses_a_second_open_proposal_for_the_same_key():
    propose(dedupe_key="outreach:10001:2026")
    with pytest.raises(
        DomainError,
        match=exactly("A proposal for outreach:10001:2026 already exists; it was not filed twice."),
    ):
        propose(dedupe_key="outreach:10001:2026")
    assert ReviewItem.objects.count() == 1


def writes_by_entity() -> dict[str, int]:
    """The effect's own write and its record in iMIS's AI_Audit_Log, counted per entity."""
    return dict(Counter(OutboxWrite.objects.values_list("entity", flat=True)))


def test_accept_approves_and_queues_the_effect(make_user):
    finance = make_user(roles.FINANCE)
    item = services.review_item_decide(item_id=propose().pk, user=finance, decision="accept")
    assert item.status == "approved" and item.decided_by == finance
    done = services.review_item_execute(item_id=item.pk)
    assert done.status == "done"
    assert writes_by_entity() == {"PartyNote": 1, "AI_Audit_Log": 1}


def test_an_edit_waits_for_a_second_person_and_keeps_the_diff(make_user):
    finance = make_user(roles.FINANCE)
    manager = make_user(roles.MANAGER)
    item = services.review_item_decide(
        item_id=propose().pk, user=finance, decision="edit", payload={"text": "Thank you!"}
    )
    assert (item.status, item.last_edited_by, item.decided_by) == ("pending", finance, None)
    assert item.edit_diff == {"text": ["Thanks!", "Thank you!"]}
    with pytest.raises(
        DomainError, match=exactly("You edited this item last; someone else must approve it.")
    ):
        services.review_item_decide(item_id=item.pk, user=finance, decision="accept")
    item = services.review_item_decide(item_id=item.pk, user=manager, decision="accept")
    assert (item.status, item.decided_by) == ("edited", manager)
    with pytest.raises(DomainError, match=r"^Already decided by grace at "):
        services.review_item_decide(item_id=item.pk, user=finance, decision="accept")


def test_edit_that_changes_nothing_is_refused(make_user):
    finance = make_user(roles.FINANCE)
    with pytest.raises(DomainError, match=exactly("Nothing was changed; accept the item instead.")):
        services.review_item_decide(
            item_id=propose().pk, user=finance, decision="edit", payload={"text": "Thanks!"}
        )


def test_reject_needs_a_reason_and_a_note_for_other(make_user):
    finance = make_user(roles.FINANCE)
    item = propose()
    with pytest.raises(DomainError, match=exactly("Choose a reason for rejecting.")):
        services.review_item_decide(item_id=item.pk, user=finance, decision="reject")
    with pytest.raises(
        DomainError, match=exactly("Say why in a few words when the reason is Other.")
    ):
        services.review_item_decide(
            item_id=item.pk, user=finance, decision="reject", reason="other"
        )
    rejected = services.review_item_decide(
        item_id=item.pk, user=finance, decision="reject", reason="duplicate"
    )
    assert (rejected.status, rejected.reject_reason) == ("rejected", "duplicate")
    assert services.review_item_execute(item_id=item.pk).status == "rejected"
    assert OutboxWrite.objects.count() == 0


def test_proposer_cannot_approve_even_as_superuser(make_user):
    boss = make_user(roles.FINANCE, is_superuser=True)
    item = propose(proposed_by=boss)
    with pytest.raises(
        DomainError, match=exactly("You proposed this item; someone else must approve it.")
    ):
        services.review_item_decide(item_id=item.pk, user=boss, decision="accept")


def test_last_editor_cannot_approve_and_edit_voids_an_approval(make_user):
    finance = make_user(roles.FINANCE)
    manager = make_user(roles.MANAGER)
    item = propose()
    services.review_item_edit(item_id=item.pk, user=finance, payload={"text": "Edited"})
    with pytest.raises(
        DomainError, match=exactly("You edited this item last; someone else must approve it.")
    ):
        services.review_item_decide(item_id=item.pk, user=finance, decision="accept")
    approved = services.review_item_decide(item_id=item.pk, user=manager, decision="accept")
    assert approved.status == "edited"  # approved, as someone else edited it
    voided = services.review_item_edit(item_id=item.pk, user=finance, payload={"text": "Again"})
    assert voided.status == "pending" and voided.decided_by is None


def test_above_threshold_needs_a_manager(make_user):
    finance = make_user(roles.FINANCE)
    manager = make_user(roles.MANAGER)
    item = propose(amount=Decimal("250.00"))
    assert item.needs_manager and item.queue == "manager"
    with pytest.raises(
        DomainError, match=exactly("Your role cannot decide items in the manager queue.")
    ):
        services.review_item_decide(item_id=item.pk, user=finance, decision="accept")
    assert services.review_item_decide(item_id=item.pk, user=manager, decision="accept").status == (
        "approved"
    )


def test_membership_staff_cannot_decide_finance_items(make_user):
    maya = make_user(roles.MEMBERSHIP)
    with pytest.raises(
        DomainError, match=exactly("Your role cannot decide items in the finance queue.")
    ):
        services.review_item_decide(item_id=propose().pk, user=maya, decision="accept")


@pytest.mark.parametrize(
    ("start", "to", "message"),
    [
        ("rejected", "approved", r"Item #\d+ is rejected; it cannot become approved\."),
        ("done", "pending", r"Item #\d+ is done; it cannot become pending\."),
        ("pending", "done", r"Item #\d+ is pending; it cannot become done\."),
        ("observed", "approved", r"Item #\d+ is observed only; it cannot become approved\."),
        ("stale", "executing", r"Item #\d+ is stale; it cannot become executing\."),
    ],
)
def test_forbidden_transitions_are_refused_with_their_message(start, to, message):
    item = propose()
    item.status = start
    with pytest.raises(DomainError, match=message):
        item_events.item_transition(item, to)


def test_every_declared_transition_is_allowed():
    item = propose()
    for start, targets in ReviewItem.TRANSITIONS.items():
        for to in targets:
            item.status = start
            item_events.item_transition(item, to)
            assert item.status == to


def test_stale_proposal_does_not_run(make_user):
    finance = make_user(roles.FINANCE)
    item = services.review_item_decide(item_id=propose().pk, user=finance, decision="accept")
    STALE_MEMBERS.add("10001")
    try:
        stale = services.review_item_execute(item_id=item.pk)
    finally:
        STALE_MEMBERS.discard("10001")
    assert stale.status == "stale" and stale.stale_reason == "member 10001 already renewed"
    assert OutboxWrite.objects.count() == 0


def test_effect_run_twice_has_one_external_effect(make_user):
    finance = make_user(roles.FINANCE)
    item = services.review_item_decide(item_id=propose().pk, user=finance, decision="accept")
    services.review_item_execute(item_id=item.pk)
    services.review_item_execute(item_id=item.pk)
    assert writes_by_entity() == {"PartyNote": 1, "AI_Audit_Log": 1}
    assert ReviewItem.objects.get(pk=item.pk).effect_attempts == 1


def test_observe_policy_records_without_a_task_and_auto_runs_within_limits(make_user):
    ReviewPolicy.objects.create(kind="tests.note", segment="students", mode="observe")
    ReviewPolicy.objects.create(
        kind="tests.note", mode="auto", min_confidence=Decimal("0.9"), max_amount=Decimal("50")
    )
    assert propose(segment="students").status == "observed"
    auto = propose(segment="regular")
    assert auto.status == "approved" and auto.decided_by_policy
    assert propose(confidence=Decimal("0.5")).status == "pending"
    assert propose(amount=Decimal("60.00")).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_ten_people_accept_at_once_one_decision_one_effect_one_outbox_row(make_user):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=roles.FINANCE)
    users = []
    for i in range(10):
        u = get_user_model().objects.create_user(username=f"f{i}", password="x")
        u.groups.add(group)
        users.append(u)
    item = propose()
    barrier = threading.Barrier(10)
    outcomes = []

    def decide(user):
        barrier.wait()
        try:
            services.review_item_decide(item_id=item.pk, user=user, decision="accept")
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert all(o.startswith("Already decided by f") for o in outcomes if o != "ok")
    services.review_item_execute(item_id=item.pk)
    services.review_item_execute(item_id=item.pk)
    assert writes_by_entity() == {"PartyNote": 1, "AI_Audit_Log": 1}
    assert AuditEvent.objects.filter(action="review.approved").count() == 1


def test_policy_change_is_validated_and_audited(make_user):
    grace = make_user(roles.MANAGER)
    with pytest.raises(
        DomainError,
        match=exactly("An Auto policy needs a minimum confidence; set one between 0 and 1."),
    ):
        services.review_policy_set(user=grace, kind="tests.note", mode="auto")
    with pytest.raises(
        DomainError, match=exactly("Minimum confidence must be between 0 and 1 (e.g. 0.95).")
    ):
        services.review_policy_set(
            user=grace, kind="tests.note", mode="auto", min_confidence=Decimal("95")
        )
    services.review_policy_set(
        user=grace,
        kind="tests.note",
        mode="auto",
        min_confidence=Decimal("0.95"),
        max_amount=Decimal("50"),
    )
    event = AuditEvent.objects.get(action="review.policy_changed")
    assert event.actor_name == "grace"
    assert event.summary == "Test note for every member: Auto: run within the limits below"
    assert event.data["after"]["mode"] == "auto" and event.data["before"] == {}


def test_review_metrics_count_each_outcome_exactly(make_user):
    from reviews.selectors import review_metrics

    frank = make_user(roles.FINANCE)
    grace = make_user(roles.MANAGER)
    a, b, c = propose(), propose(), propose()
    services.review_item_decide(item_id=a.pk, user=frank, decision="accept")
    services.review_item_decide(item_id=b.pk, user=frank, decision="edit", payload={"text": "x"})
    services.review_item_decide(item_id=b.pk, user=grace, decision="accept")
    services.review_item_decide(item_id=c.pk, user=frank, decision="reject", reason="duplicate")
    propose(amount=Decimal("500.00"))  # escalated to a manager, still pending
    services.review_policy_set(
        user=grace, kind="tests.note", mode="auto", min_confidence=Decimal("0.5")
    )
    propose()  # carried out by the Auto policy
    (row,) = review_metrics()
    assert (row["proposed"], row["pending"], row["decided"], row["auto"]) == (5, 1, 4, 1)
    assert (row["edit_rate"], row["rejection_rate"], row["auto_rate"]) == (0.25, 0.25, 0.25)
    assert row["escalation_rate"] == 0.2
    assert row["staff_minutes_saved_estimate"] == 6
    assert row["rejection_reasons"] == {"duplicate": 1}
    assert row["median_minutes_to_decision"] is not None


def test_pending_items_past_due_expire_and_decided_ones_do_not(make_user):
    from datetime import timedelta

    from django.utils import timezone

    frank = make_user(roles.FINANCE)
    past = timezone.now() - timedelta(days=1)
    late, decided, current = propose(due_by=past), propose(due_by=past), propose()
    services.review_item_decide(item_id=decided.pk, user=frank, decision="accept")
    assert services.review_items_expire() == 1
    assert ReviewItem.objects.get(pk=late.pk).status == "expired"
    assert ReviewItem.objects.get(pk=decided.pk).status == "approved"
    assert ReviewItem.objects.get(pk=current.pk).status == "pending"
    with pytest.raises(DomainError, match=r"^Item #\d+ is expired; it cannot be decided\.$"):
        services.review_item_decide(item_id=late.pk, user=frank, decision="accept")
