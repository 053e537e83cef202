"""Payment plans: the split, the offer, the member's signed link and page, acceptance, progress,
the plan's own reminder, staff changes; and the link's refusals (tampered, expired, re-used,
another member's), rate limit and CSRF."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from common.errors import DomainError
from common.links import link_issue
from common.models import AuditEvent, MemberLink
from dues.collections import plan_progress, planner, plans
from dues.models import DunningAction, PaymentPlan, PlanInstalment
from imis_client.models import OutboxWrite
from reviews.models import Communication, ReviewItem
from reviews.services import review_item_decide, review_item_execute

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def invoice(mirror):
    mirror.member("M1", "Ada Lovelace", email="ada@example.org")
    mirror.member("M2", "Bo Li", email="bo@example.org")
    mirror.invoice("INV-2", "M2", "50.00", due_date=TODAY - timedelta(days=40))
    return mirror.invoice("INV-1", "M1", "100.00", due_date=TODAY - timedelta(days=40))


def offered(make_user, django_capture_on_commit_callbacks, invoice_id="INV-1", count=3):
    """A plan offer filed by one person, approved by another, carried out: (plan, url)."""
    proposer = make_user("Finance staff", f"prop-{invoice_id}")
    item = plans.plan_offer_propose(
        invoice_id=invoice_id, instalments=count, proposed_by=proposer, reason="asked by phone"
    )
    approver = make_user("Manager", f"appr-{invoice_id}")
    review_item_decide(item_id=item.pk, user=approver, decision="accept", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        review_item_execute(item_id=item.pk)
    comm = Communication.objects.get(item=item)
    url = next(w for w in comm.body.split() if "/m/plan/" in w)
    return PaymentPlan.objects.get(review_item=item), url.split("localhost:8000", 1)[-1]


def test_split_rounds_down_and_the_last_takes_the_remainder():
    rows = plans.schedule_split(Decimal("100.00"), 3, date(2027, 1, 31))

    assert [a for _, a in rows] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert [d for d, _ in rows] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    with pytest.raises(DomainError, match="2 to 6 monthly instalments, not 7"):
        plans.schedule_split(Decimal("100.00"), 7, date(2027, 1, 1))


def test_unbalanced_schedule_cannot_be_saved(invoice, make_user):
    item = plans.plan_offer_propose(
        invoice_id="INV-1", instalments=2, proposed_by=make_user("Finance staff"), reason=""
    )
    plan = PaymentPlan.objects.get(review_item=item)

    with pytest.raises(DomainError, match=r"sums to \$99\.99, not the balance \$100\.00"):
        plans._instalments_write(plan, [(TODAY, Decimal("50.00")), (TODAY, Decimal("49.99"))])
    with pytest.raises(IntegrityError, match=r"instalments sum to 99\.99"), transaction.atomic():
        PlanInstalment.objects.filter(plan=plan, number=2).update(amount=Decimal("49.99"))
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_offer_is_a_review_item_and_the_proposer_cannot_approve_it(invoice, make_user):
    proposer = make_user("Finance staff", "prop")
    item = plans.plan_offer_propose(
        invoice_id="INV-1", instalments=4, proposed_by=proposer, reason="asked by phone"
    )

    assert item.kind == "dues.payment_plan_offer" and item.proposed_by == proposer
    assert item.payload["schedule"].count(":") == 4
    assert "$25.00" in item.payload["draft"]["body"]
    with pytest.raises(DomainError):
        review_item_decide(item_id=item.pk, user=proposer, decision="accept")
    with pytest.raises(DomainError, match="already has plan"):
        plans.plan_offer_propose(invoice_id="INV-1", instalments=2, proposed_by=None, reason="")


def test_member_opens_link_accepts_once_and_imis_is_told(
    invoice, make_user, django_capture_on_commit_callbacks
):
    plan, url = offered(make_user, django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "33.34" in html and "Accept this plan" in html and "INV-1" in html
    token = page.cookies["csrftoken"].value
    accepted = client.post(url, {"csrfmiddlewaretoken": token})

    assert accepted.status_code == 200 and "your plan is accepted" in accepted.content.decode()
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.ACTIVE and plan.accepted_at is not None
    assert AuditEvent.objects.filter(action="plan.accepted", member_id="M1").exists()
    notes = OutboxWrite.objects.filter(source=f"plan {plan.pk} accepted")
    assert sorted(notes.values_list("entity", flat=True)) == ["AI_Audit_Log", "PartyNote"]
    again = client.post(url, {"csrfmiddlewaretoken": token})
    assert again.status_code == 404 and "33.34" not in again.content.decode()
    assert AuditEvent.objects.filter(action="link.refused", data__reason="used").exists()


def test_post_without_csrf_token_is_refused(invoice, make_user, django_capture_on_commit_callbacks):
    plan, url = offered(make_user, django_capture_on_commit_callbacks)

    response = Client(enforce_csrf_checks=True).post(url)

    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.OFFERED


@pytest.mark.parametrize("spoil", ["tampered", "expired", "revoked"])
def test_a_spoiled_link_shows_not_valid_with_no_data_and_is_audited(
    spoil, invoice, make_user, django_capture_on_commit_callbacks
):
    plan, url = offered(make_user, django_capture_on_commit_callbacks)
    if spoil == "tampered":
        url = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    elif spoil == "expired":
        MemberLink.objects.filter(pk=plan.link_id).update(expires_at=timezone.now())
    else:
        MemberLink.objects.filter(pk=plan.link_id).update(revoked_at=timezone.now())

    response = Client().get(url)

    assert response.status_code == 404
    body = response.content.decode()
    assert "not valid" in body and "33.3" not in body and "INV-1" not in body
    assert AuditEvent.objects.filter(action="link.refused", data__reason=spoil).exists()


def test_a_link_for_another_members_plan_opens_nothing(
    invoice, make_user, django_capture_on_commit_callbacks
):
    plan, _ = offered(make_user, django_capture_on_commit_callbacks)
    _other, other_url = offered(make_user, django_capture_on_commit_callbacks, invoice_id="INV-2")
    # a link of member M2 naming M1's plan (as a forged subject would): bound to M2, so refused
    token = link_issue(
        purpose="plan", party_id="M2", subject=f"plan:{plan.pk}", ttl=timedelta(days=1)
    )

    mine = Client().get(other_url)
    forged = Client().get(f"/m/plan/{token}/")

    assert "INV-2" in mine.content.decode() and "INV-1" not in mine.content.decode()
    assert forged.status_code == 404 and "INV-1" not in forged.content.decode()
    assert AuditEvent.objects.filter(action="link.refused", data__reason="wrong_subject").exists()


def test_member_pages_are_rate_limited(
    invoice, make_user, django_capture_on_commit_callbacks, settings
):
    _, url = offered(make_user, django_capture_on_commit_callbacks)
    settings.MEMBER_LINK_RATE_PER_MINUTE = 3
    client = Client()

    codes = [client.get(url).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_accepted_plan_pauses_dunning_and_completes_when_paid(
    invoice, make_user, django_capture_on_commit_callbacks
):
    plan, _url = offered(make_user, django_capture_on_commit_callbacks)
    plans.plan_accept(link=MemberLink.objects.get(pk=plan.link_id))

    run = planner.dunning_run(today=TODAY)
    assert run["filed"] == 1  # only INV-2, whose member has no plan
    assert not DunningAction.objects.filter(invoice_id="INV-1").exists()

    invoice.balance, invoice.is_open = Decimal("0.00"), False
    invoice.save()
    plan_progress.plans_refresh(today=TODAY)

    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.COMPLETED
    assert set(plan.instalments.values_list("status", flat=True)) == {"paid"}


def test_a_missed_instalment_starts_the_plans_own_reminder(
    invoice, make_user, django_capture_on_commit_callbacks
):
    plan, _ = offered(make_user, django_capture_on_commit_callbacks)
    plans.plan_accept(link=MemberLink.objects.get(pk=plan.link_id))
    first = plan.instalments.get(number=1)
    later = first.due_on + timedelta(days=plans.MISSED_GRACE_DAYS + 1)

    planner.dunning_run(today=later)
    planner.dunning_run(today=later)

    first.refresh_from_db()
    assert first.status == PlanInstalment.Status.MISSED
    reminder = DunningAction.objects.get(invoice_id="INV-1", plan_instalment=first)
    assert reminder.review_item.kind == "dues.dunning_step"
    assert "Instalment 1 of plan" in reminder.review_item.summary


def test_staff_change_revokes_the_old_link_and_files_a_new_offer(
    invoice, make_user, django_capture_on_commit_callbacks
):
    plan, url = offered(make_user, django_capture_on_commit_callbacks)
    staff = make_user("Finance staff", "changer")

    item = plans.plan_change(
        plan_id=plan.pk, instalments=2, first_due=TODAY + timedelta(days=20), by=staff
    )

    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.PROPOSED and plan.last_edited_by == staff
    assert list(plan.instalments.values_list("amount", flat=True)) == [
        Decimal("50.00"),
        Decimal("50.00"),
    ]
    assert item.status == ReviewItem.Status.PENDING and plan.review_item == item
    assert Client().get(url).status_code == 404


def test_staff_cancel_needs_a_reason_and_notes_imis(
    invoice, make_user, django_capture_on_commit_callbacks
):
    plan, url = offered(make_user, django_capture_on_commit_callbacks)
    staff = make_user("Finance staff", "canceller")

    with pytest.raises(DomainError, match="Say why the plan is cancelled"):
        plans.plan_cancel(plan_id=plan.pk, by=staff, reason="  ")
    plans.plan_cancel(plan_id=plan.pk, by=staff, reason="member paid by check")

    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.CANCELLED
    assert OutboxWrite.objects.filter(source=f"plan {plan.pk} cancelled").exists()
    assert Client().get(url).status_code == 404
