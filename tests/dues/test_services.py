"""Application policy, one-click decisions, the hold and its undo, posting, refunds, labels."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import OrmQ

from common import roles
from common.errors import DomainError
from dues import ledger, notifications, selectors, services
from dues.kinds import KIND
from dues.models import JournalTransaction, MatchLabel, Payment
from imis_client.models import OutboxWrite
from reviews import services as reviews
from reviews.models import ReviewItem
from tests.dues.conftest import Cand

pytestmark = pytest.mark.django_db
D = Decimal


def payment_writes():
    """Writes that move money or notes in iMIS; each decision's AI_Audit_Log record is apart."""
    return OutboxWrite.objects.exclude(entity="AI_Audit_Log")


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


@pytest.fixture
def books(mirror):
    """John Smith owes 10234 ($120.00); Acme pays for two employees' invoices."""
    mirror.member("48213", "John Smith")
    mirror.member("48214", "Jane Smith")
    mirror.member("70001", "Acme Engineering LLC", is_organization=True)
    mirror.member("48300", "Ana Ruiz", primary_org_id="70001")
    mirror.member("48301", "Bo Chen", primary_org_id="70001")
    mirror.invoice("10234", "48213", "120.00")
    mirror.invoice("10240", "48214", "120.00")
    mirror.invoice("10301", "48300", "95.00", bill_to_id="70001")
    mirror.invoice("10302", "48301", "95.00", bill_to_id="70001")
    return mirror


def chosen_then_confirmed(make_user, payment_id: int, user, **choice) -> Payment:
    """A choice other than the proposal is the chooser's own proposal (four eyes): it waits,
    and a second finance person making the same choice approves and carries it out."""
    waiting = services.payment_decide(payment_id=payment_id, user=user, **choice)
    assert waiting.status in Payment.OPEN
    item = ReviewItem.objects.get(pk=waiting.review_item_id)
    assert item.status == "pending" and user.pk in (item.proposed_by_id, item.last_edited_by_id)
    second = make_user(roles.FINANCE, "fiona")
    return services.payment_decide(payment_id=payment_id, user=second, **choice)


def exact(member="48213", invoice="10234", amount="120.00", confidence=0.99):
    return Cand(
        member_id=member,
        allocations=((invoice, D(amount)),),
        confidence=confidence,
        explanation=f"INV-{invoice} in memo; amount equals balance",
    )


def auto_policy(make_user, min_confidence="0.95"):
    manager = make_user(roles.MANAGER, username="grace")
    reviews.review_policy_set(
        user=manager, kind=KIND, mode="auto", min_confidence=D(min_confidence)
    )


def file(payment, candidates, *, eligible=False, reason=""):
    return services.payment_candidates_file(
        payment_id=payment.pk,
        candidates=candidates,
        auto_eligible=eligible,
        not_auto_reason=reason,
    )


# --- proposals and policy ----------------------------------------------------------------


def test_by_default_a_person_decides_in_the_finance_queue(books, make_payment):
    payment = file(make_payment(), [exact()], eligible=True)
    item = payment.review_item
    assert (payment.status, item.status, item.queue, item.kind) == (
        "proposed",
        "pending",
        "finance",
        KIND,
    )
    assert item.payload == {
        "payment": payment.pk,
        "action": "apply",
        "member": "48213",
        "payer": "48213",
        "invoices": [{"invoice": "10234", "amount": "120.00"}],
        "credit": "0.00",
    }
    assert item.confidence == D("0.990")
    assert item.evidence[0] == {
        "fact": "#1 member 48213: INV-10234 in memo; amount equals balance",
        "source": "matching, confidence 99 %",
    }


def test_auto_policy_applies_a_single_exact_sure_match_and_holds_it(books, make_payment, make_user):
    auto_policy(make_user)
    payment = file(make_payment(), [exact()], eligible=True)
    assert (payment.status, payment.applied_by_policy, payment.member_id) == ("held", True, "48213")
    assert payment.hold_until - payment.applied_at == timedelta(hours=24)
    assert payment.review_item.status == "done" and payment.review_item.decided_by_policy
    label = MatchLabel.objects.get(payment=payment)
    assert (label.outcome, label.top_correct, label.by_policy) == ("top", True, True)
    assert ledger.payment_balances(payment.pk) == {
        "cash_clearing": D("120.00"),
        "unapplied": D("0.00"),
        "hold": D("-120.00"),
        "receivable": D("0.00"),
    }


def test_auto_policy_never_takes_a_payment_that_is_not_eligible(books, make_payment, make_user):
    auto_policy(make_user)
    two = [exact(confidence=0.97), exact(member="48214", invoice="10240", confidence=0.40)]
    payment = file(
        make_payment(), two, eligible=False, reason="Not for Auto: more than one candidate fits."
    )
    item = payment.review_item
    assert (payment.status, item.status, item.confidence) == ("proposed", "pending", None)
    assert item.rationale == "Not for Auto: more than one candidate fits."
    assert payment.top_confidence == D("0.970")


def test_auto_policy_leaves_a_match_below_its_threshold_to_a_person(books, make_payment, make_user):
    auto_policy(make_user, min_confidence="0.995")
    payment = file(make_payment(), [exact(confidence=0.99)], eligible=True)
    assert (payment.status, payment.review_item.status) == ("proposed", "pending")


def test_a_payment_nobody_fits_is_never_applied(books, make_payment, make_user):
    auto_policy(make_user)
    payment = file(make_payment(payer_name="Unknown Holdings"), [])
    item = payment.review_item
    assert (payment.status, item.status, item.payload["action"]) == (
        "unmatched",
        "pending",
        "not_ours",
    )
    assert JournalTransaction.objects.filter(payment=payment).count() == 1  # the intake only


# --- one-click decisions ----------------------------------------------------------------


def test_a_one_click_decision_carries_itself_out_and_queues_no_task(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = file(make_payment(), [exact()])
    payment = services.payment_decide(
        payment_id=payment.pk, user=frank, action="candidate", candidate_rank=1
    )
    assert (payment.status, payment.review_item.status) == ("held", "done")
    assert list(OrmQ.objects.all()) == []


def test_a_decision_on_the_review_page_queues_its_effect(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = file(make_payment(), [exact()])
    reviews.review_item_decide(item_id=payment.review_item_id, user=frank, decision="accept")
    assert [task.name() for task in OrmQ.objects.all()] == [f"review-{payment.review_item_id}"]


def test_apply_to_the_second_candidate_is_labelled_as_such(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    two = [exact(confidence=0.6), exact(member="48214", invoice="10240", confidence=0.35)]
    payment = file(make_payment(), two)
    payment = services.payment_decide(
        payment_id=payment.pk, user=frank, action="candidate", candidate_rank=2
    )
    assert payment.status == "proposed"
    with pytest.raises(DomainError, match="You edited this item last; someone else must approve"):
        services.payment_decide(
            payment_id=payment.pk, user=frank, action="candidate", candidate_rank=2
        )
    fiona = make_user(roles.FINANCE, "fiona")
    payment = services.payment_decide(
        payment_id=payment.pk, user=fiona, action="candidate", candidate_rank=2
    )
    assert (payment.status, payment.member_id) == ("held", "48214")
    item = ReviewItem.objects.get(pk=payment.review_item_id)
    assert (item.status, item.decided_by, item.last_edited_by) == ("done", fiona, frank)
    assert item.edit_diff == {
        "invoices": [
            [{"invoice": "10234", "amount": "120.00"}],
            [{"invoice": "10240", "amount": "120.00"}],
        ],
        "member": ["48213", "48214"],
        "payer": ["48213", "48214"],
    }
    label = MatchLabel.objects.get(payment=payment)
    assert (label.outcome, label.top_correct, label.decided_by) == ("other", False, fiona)


def test_split_across_two_invoices_with_the_rest_as_credit(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = file(
        make_payment("200.00", payer_name="Acme Engineering"),
        [
            Cand(
                member_id="48300",
                payer_id="70001",
                allocations=(("10301", D("95.00")),),
                credit=D("105.00"),
            )
        ],
    )
    payment = chosen_then_confirmed(
        make_user,
        payment.pk,
        frank,
        action="split",
        member_id="48300",
        payer_id="70001",
        allocations=[("10301", D("95.00")), ("10302", D("95.00"))],
    )
    allocations, credit = ledger.payment_held_allocations(payment.pk)
    assert allocations == [("10301", D("95.00")), ("10302", D("95.00"))]
    assert credit == D("10.00")
    assert MatchLabel.objects.get(payment=payment).outcome == "split"


def test_keep_as_credit_and_not_ours(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    credit = chosen_then_confirmed(
        make_user,
        file(make_payment("50.00"), [exact()]).pk,
        frank,
        action="credit",
        member_id="48213",
    )
    assert ledger.payment_held_allocations(credit.pk) == ([], D("50.00"))
    stranger = services.payment_decide(
        payment_id=file(make_payment("75.00"), []).pk, user=frank, action="not_ours"
    )
    assert stranger.status == "not_ours"
    assert MatchLabel.objects.get(payment=stranger).top_correct is True  # matcher said: no one


def test_amounts_that_do_not_add_up_are_refused_with_what_to_fix(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = file(make_payment("200.00"), [exact()])
    too_much = {"action": "split", "member_id": "48213", "allocations": [("10234", D("150.00"))]}
    services.payment_decide(payment_id=payment.pk, user=frank, **too_much)
    fiona = make_user(roles.FINANCE, "fiona")
    with pytest.raises(
        DomainError,
        match=exactly(
            "Invoice 10234 has $120.00 left to apply; payment "
            f"#{payment.pk} cannot put $150.00 on it. Another payment was applied to "
            "it first: choose another invoice or keep the money as credit."
        ),
    ):
        services.payment_decide(payment_id=payment.pk, user=fiona, **too_much)
    # nothing half-done: frank's proposal still waits, unapproved
    payment.refresh_from_db()
    assert payment.status == "proposed" and payment.review_item.status == "pending"
    assert payment.review_item.payload["invoices"] == [{"invoice": "10234", "amount": "150.00"}]


def test_a_decision_through_the_review_item_api_applies_the_payment(
    books, make_payment, make_user, client
):
    from tests.conftest import PASSWORD

    make_user(roles.FINANCE)
    payment = file(make_payment(), [exact()])
    client.login(username="frank", password=PASSWORD)
    response = client.post(
        f"/api/v1/review-items/{payment.review_item_id}/decide/",
        {"decision": "accept"},
        content_type="application/json",
    )
    assert response.status_code == 200
    reviews.review_item_execute(item_id=payment.review_item_id)  # what the worker does
    payment.refresh_from_db()
    assert payment.status == "held"


def test_a_rejected_proposal_sends_the_payment_back_to_a_person_and_is_a_label(
    books, make_payment, make_user
):
    frank = make_user(roles.FINANCE)
    payment = file(make_payment(), [exact()])
    reviews.review_item_decide(
        item_id=payment.review_item_id, user=frank, decision="reject", reason="wrong_member"
    )
    assert services.payments_review_sync() == 1
    payment.refresh_from_db()
    assert payment.status == "unmatched"
    assert payment.attention == (
        f"The proposal #{payment.review_item_id} was rejected (Wrong member or invoice); choose "
        "what this payment pays."
    )
    label = MatchLabel.objects.get(payment=payment)
    assert (label.outcome, label.top_correct) == ("rejected", False)
    # a person then applies it another way: a new round of review, approved by a second person
    done = chosen_then_confirmed(make_user, payment.pk, frank, action="credit", member_id="48214")
    assert done.status == "held" and done.review_round == 2


# --- hold, undo, posting ----------------------------------------------------------------


def test_undo_inside_the_window_restores_everything(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = file(make_payment(), [exact()])
    payment = services.payment_decide(
        payment_id=payment.pk, user=frank, action="candidate", candidate_rank=1
    )
    applied_item = payment.review_item_id
    assert selectors.invoice_room(selectors.invoice_for_cap("10234")) == D("0.00")
    payment = services.payment_undo(payment_id=payment.pk, user=frank)
    assert payment.status == "proposed" and payment.hold_until is None
    assert ledger.payment_balances(payment.pk) == {
        "cash_clearing": D("120.00"),
        "unapplied": D("-120.00"),
        "hold": D("0.00"),
        "receivable": D("0.00"),
    }
    assert selectors.invoice_room(selectors.invoice_for_cap("10234")) == D("120.00")
    assert ReviewItem.objects.get(pk=applied_item).status == "reversed"
    new_item = payment.review_item
    assert (new_item.status, new_item.confidence, new_item.payload["invoices"]) == (
        "pending",
        None,
        [{"invoice": "10234", "amount": "120.00"}],
    )
    undo = JournalTransaction.objects.get(payment=payment, kind="undo")
    assert undo.reverses.kind == "apply"
    assert [label.outcome for label in MatchLabel.objects.filter(payment=payment)] == [
        "undone",
        "top",
    ]
    # and the hold page has nothing left to post
    assert selectors.hold_summary()["payments"] == []


def test_undo_after_the_window_is_refused(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = services.payment_decide(
        payment_id=file(make_payment(), [exact()]).pk,
        user=frank,
        action="candidate",
        candidate_rank=1,
    )
    later = payment.hold_until + timedelta(seconds=1)
    until = timezone.localtime(payment.hold_until).strftime("%Y-%m-%d %H:%M")
    with pytest.raises(
        DomainError,
        match=exactly(
            f"The hold on payment #{payment.pk} ended at {until}; it is being posted "
            "to iMIS and can no longer be undone here."
        ),
    ):
        services.payment_undo(payment_id=payment.pk, user=frank, now=later)


def test_after_the_window_exactly_one_outbox_write_posts_it(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = services.payment_decide(
        payment_id=file(make_payment(method="card"), [exact()]).pk,
        user=frank,
        action="candidate",
        candidate_rank=1,
    )
    # before the hold ends nothing is posted
    assert services.payments_post_due(now=payment.hold_until - timedelta(minutes=1)) == {
        "due": 0,
        "posted": 0,
    }
    assert payment_writes().count() == 0
    after = payment.hold_until + timedelta(minutes=1)
    assert services.payments_post_due(now=after) == {"due": 1, "posted": 1}
    assert services.payments_post_due(now=after) == {"due": 0, "posted": 0}
    write = payment_writes().get()
    payment.refresh_from_db()
    assert (payment.status, payment.imis_reference) == ("posted", write.reference)
    assert (write.method, write.path) == ("POST", "/api/ComboOrder")
    remittance = write.body["Payments"]["$values"][0]
    assert remittance["ReferenceNumber"] == write.reference
    assert remittance["PayorParty"] == {"PartyId": "48213"}
    assert remittance["PaymentMethod"] == {"PaymentMethodId": "CC"}
    assert [i["InvoiceId"] for i in write.body["Invoices"]["$values"]] == ["10234"]
    assert ledger.payment_balances(payment.pk)["receivable"] == D("-120.00")
    with pytest.raises(DomainError, match="only a payment on hold can be undone"):
        services.payment_undo(payment_id=payment.pk, user=frank)


def test_credit_on_account_posts_as_a_note_on_the_member(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = chosen_then_confirmed(
        make_user,
        file(make_payment("50.00"), [exact()]).pk,
        frank,
        action="credit",
        member_id="48213",
    )
    services.payments_post_due(now=payment.hold_until)
    write = payment_writes().get()
    assert (write.path, write.body["PartyId"]) == ("/api/PartyNote", "48213")
    assert "Credit on account $50.00" in write.body["Text"]
    assert ledger.payment_balances(payment.pk)["unapplied"] == D("-50.00")


def test_a_refund_during_the_hold_reverses_the_application(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = services.payment_decide(
        payment_id=file(make_payment(), [exact()]).pk,
        user=frank,
        action="candidate",
        candidate_rank=1,
    )
    payment = services.payment_refund(payment_id=payment.pk, amount=D("120.00"), reference="re_1")
    assert payment.status == "refunded"
    assert list(payment.journal.values_list("kind", flat=True)) == [
        "intake",
        "apply",
        "undo",
        "refund",
    ]
    assert ledger.payment_balances(payment.pk) == {
        k: D("0.00") for k in ("cash_clearing", "unapplied", "hold", "receivable")
    }
    services.payments_post_due(now=timezone.now() + timedelta(days=2))
    assert payment_writes().count() == 0


# --- flags and notices ------------------------------------------------------------------


def test_an_invoice_with_a_probable_unapplied_payment_is_flagged(books, make_payment, make_user):
    payment = file(make_payment(payer_name="J Smith"), [exact(confidence=0.8)])
    notice = selectors.pending_payment_notice("48213", "10234")
    text, source = notice["pending_payment_notice"]
    assert text == (
        f"Payment #{payment.pk} of $120.00 received 2026-03-02 (Bank file (CSV), J Smith) "
        "probably pays $120.00 of this invoice (80 % confidence); it is not applied yet."
    )
    assert source == f"dues payments #{payment.pk}"
    assert selectors.pending_payment_notice("48214", "10240") == {}
    frank = make_user(roles.FINANCE)
    services.payment_decide(payment_id=payment.pk, user=frank, action="candidate", candidate_rank=1)
    text, _ = selectors.pending_payment_notice("48213", "10234")["pending_payment_notice"]
    assert "is applied to this invoice ($120.00) and posts to iMIS after" in text


def test_the_daily_hold_summary_goes_to_the_finance_lead(books, make_payment, make_user, settings):
    settings.DUES_FINANCE_LEAD_EMAIL = "lead@example.org"
    frank = make_user(roles.FINANCE)
    assert notifications.hold_summary_send() == 0  # nothing on hold: no email
    services.payment_decide(
        payment_id=file(make_payment(), [exact()]).pk,
        user=frank,
        action="candidate",
        candidate_rank=1,
    )
    assert notifications.hold_summary_send() == 1
    (message,) = mail.outbox
    assert message.to == ["lead@example.org"]
    assert message.subject.endswith(": 1 post to iMIS in the next 24 h ($120.00)")
    assert "John Smith, invoice 10234 120.00" in message.body


def test_payment_status_changes_follow_the_declared_transitions(make_payment):
    payment = make_payment()
    Payment.objects.filter(pk=payment.pk).update(status="posted")
    with pytest.raises(
        DomainError,
        match=exactly(f"Payment #{payment.pk} is posted; it cannot become not ours / refund due."),
    ):
        services.payment_flag_not_ours(payment_id=payment.pk)


def test_a_reminder_drafted_for_an_invoice_with_a_pending_payment_is_blocked(books, make_payment):
    from reviews.drafting import draft_message

    payment = file(make_payment(payer_name="J Smith"), [exact(confidence=0.8)])
    draft = draft_message(purpose="dunning_1", member_id="48213", invoice_id="10234")
    blocking = [f for f in draft.flags if f["code"] == "pending_payment"]
    assert blocking and blocking[0]["message"].startswith(
        f"A payment on this invoice is pending: Payment #{payment.pk} of $120.00 received "
        "2026-03-02"
    )
    # the other member's reminder is not held back
    other = draft_message(purpose="dunning_1", member_id="48214", invoice_id="10240")
    assert not [f for f in other.flags if f["code"] == "pending_payment"]


def test_a_refund_after_posting_is_flagged_for_a_person(books, make_payment, make_user):
    frank = make_user(roles.FINANCE)
    payment = services.payment_decide(
        payment_id=file(make_payment(), [exact()]).pk,
        user=frank,
        action="candidate",
        candidate_rank=1,
    )
    services.payments_post_due(now=payment.hold_until)
    payment = services.payment_refund(payment_id=payment.pk, amount=D("120.00"), reference="re_9")
    reference = payment_writes().get().reference
    assert payment.status == "posted"
    assert payment.attention == (
        f"Refunded $120.00 after posting to iMIS ({reference}): reverse that payment in iMIS "
        "by hand."
    )
    balances = ledger.payment_balances(payment.pk)
    assert (balances["cash_clearing"], balances["receivable"]) == (D("0.00"), D("0.00"))
