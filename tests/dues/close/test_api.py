"""The close API as a finance person or a manager meets it: periods and their actions with the
pages' permissions and refusals, reconciliation runs by cause, deposits, the roll-forward to the
cent and the board-pack figures."""

from decimal import Decimal

import pytest
from django.urls import reverse

from common import roles
from common.models import JobRun
from dues.close import periods
from dues.close.reconcile import pending_entries, reconciliation_run
from dues.models import AccountingPeriod
from reviews.services import review_item_decide, review_item_execute
from tests.dues.close.month import NOV, build_november

pytestmark = pytest.mark.django_db


@pytest.fixture
def november(mirror, make_payment, make_user):
    build_november(mirror, make_payment)
    return reconciliation_run(month=NOV, user=None)


def _client(client, make_user, role, name):
    client.force_login(make_user(role, name))
    return client


def _close_november(user) -> None:
    for item in pending_entries(NOV):
        review_item_decide(item_id=item.pk, user=user, decision="accept")
        review_item_execute(item_id=item.pk)
    periods.period_close(month=NOV, user=user)


def test_closing_a_month_with_entries_waiting_is_refused_as_the_page_refuses_it(
    client, make_user, november
):
    api = _client(client, make_user, roles.FINANCE, "fiona")

    response = api.post(reverse("api:dues:close-period-close", args=["2026-11"]))

    assert response.status_code == 409
    message = (
        "4 adjusting entries of November 2026 (2026-11) still wait for a decision in the "
        "finance queue; decide them first."
    )
    assert response.json() == {"detail": message, "code": "invalid"}
    page = api.post(reverse("dues:close:close", args=["2026-11"]), follow=True)
    assert message in page.content.decode()
    assert not AccountingPeriod.objects.filter(month=NOV, status="closed").exists()


def test_a_finance_clerk_cannot_reopen_a_month_and_a_manager_must_say_why(
    client, make_user, november
):
    fiona = make_user(roles.FINANCE, "fiona")
    _close_november(fiona)
    url = reverse("api:dues:close-period-reopen", args=["2026-11"])
    client.force_login(fiona)

    assert client.post(url, {"reason": "late bank fee"}).status_code == 403

    client.force_login(make_user(roles.MANAGER, "maria"))
    missing = client.post(url, {})
    assert missing.status_code == 400
    assert missing.json() == {"reason": ["This field is required."]}
    blank = client.post(url, {"reason": "  "})
    assert blank.status_code == 400
    reopened = client.post(url, {"reason": "late bank fee"}, content_type="application/json")
    assert reopened.status_code == 200
    assert (reopened.json()["month"], reopened.json()["status"]) == ("2026-11", "open")
    assert AccountingPeriod.objects.get(month=NOV).status == "open"


def test_closing_through_the_api_locks_the_month_and_lists_it_closed(client, make_user, november):
    fiona = make_user(roles.FINANCE, "fiona")
    for item in pending_entries(NOV):
        review_item_decide(item_id=item.pk, user=fiona, decision="accept")
        review_item_execute(item_id=item.pk)
    client.force_login(fiona)

    closed = client.post(reverse("api:dues:close-period-close", args=["2026-11"]))

    assert closed.status_code == 200
    body = closed.json()
    assert (body["status"], body["closed_by"], body["unexplained"], body["entries_waiting"]) == (
        "closed",
        "fiona",
        0,
        0,
    )
    assert body["reconciliation"] == november.pk
    listed = client.get(reverse("api:dues:close-period-list")).json()
    assert {row["month"]: row["status"] for row in listed}["2026-11"] == "closed"


def test_starting_a_reconciliation_returns_its_job_once(client, make_user):
    api = _client(client, make_user, roles.FINANCE, "fiona")
    url = reverse("api:dues:close-period-reconcile", args=["2026-11"])

    first = api.post(url)
    again = api.post(url)

    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["kind"] == "dues.reconcile_month"
    assert JobRun.objects.filter(kind="dues.reconcile_month").count() == 1
    later = api.post(reverse("api:dues:close-period-reconcile", args=["2099-01"]))
    assert later.status_code == 409
    assert later.json()["detail"] == "January 2099 (2099-01) has not begun."


def test_a_month_written_wrong_is_refused_with_how_to_write_it(client, make_user):
    api = _client(client, make_user, roles.FINANCE, "fiona")
    response = api.post(reverse("api:dues:close-period-close", args=["Nov"]))
    assert response.status_code == 400
    assert response.json() == {
        "month": ["“Nov” is not a month; write it as YYYY-MM, e.g. 2026-11."]
    }


def test_reconciliation_differences_by_cause_and_the_months_deposits(client, make_user, november):
    api = _client(client, make_user, roles.FINANCE, "fiona")

    runs = api.get(reverse("api:dues:close-reconciliation-list"), {"month": "2026-11"}).json()
    detail = api.get(reverse("api:dues:close-reconciliation-detail", args=[november.pk])).json()
    fees = api.get(
        reverse("api:dues:close-reconciliation-differences", args=[november.pk]), {"cause": "fee"}
    ).json()
    deposits = api.get(reverse("api:dues:close-deposit-list"), {"month": "2026-11"}).json()

    assert [r["id"] for r in runs["results"]] == [november.pk]
    by_cause = {row["cause"]: (row["count"], row["amount"]) for row in detail["by_cause"]}
    assert by_cause["fee"] == (1, "6.62")
    assert by_cause["unexplained"] == (0, "0.00")
    assert [(d["cause"], d["amount"]) for d in fees["results"]] == [("fee", "6.62")]
    assert ("stripe_payout", "208.38", "6.62") in {
        (d["kind"], d["amount"], d["fee"]) for d in deposits["results"]
    }
    wrong = api.get(
        reverse("api:dues:close-reconciliation-differences", args=[november.pk]), {"cause": "x"}
    )
    assert wrong.status_code == 400


def test_roll_forward_json_ties_to_the_cent(client, make_user, month_with_revenue):
    api = _client(client, make_user, roles.FINANCE, "fiona")

    rf = api.get(reverse("api:dues:close-rollforward", args=["2026-03"])).json()

    assert {k: rf[k] for k in ("opening", "deferred", "recognised", "adjusted", "closing")} == {
        "opening": "200.00",
        "deferred": "0.00",
        "recognised": "17.00",
        "adjusted": "30.00",
        "closing": "153.00",
    }
    amounts = {k: Decimal(rf[k]) for k in ("opening", "deferred", "recognised", "adjusted")}
    assert amounts["opening"] + amounts["deferred"] - amounts["recognised"] - amounts[
        "adjusted"
    ] == Decimal(rf["closing"])
    assert rf["identity_holds"] is True and rf["difference"] == "0.00"
    assert rf["recognised_by_account"] == [
        {"account": "dues_revenue:DUES/REG", "label": "Dues revenue: DUES/REG", "amount": "17.00"}
    ]
    assert rf["adjusted_by_kind"] == {"Credit memo": "30.00"}


def test_board_pack_figures_of_a_month(client, make_user, month_with_revenue):
    api = _client(client, make_user, roles.MANAGER, "maria")

    pack = api.get(reverse("api:dues:close-boardpack", args=["2026-03"])).json()

    assert pack["month"] == "2026-03"
    revenue = next(s for s in pack["sections"] if s["key"] == "revenue")
    assert {f["key"]: f["value"] for f in revenue["figures"]}["deferred_closing"] == "$153.00"
    assert revenue["sentence"] in pack["summary"]


def test_membership_staff_cannot_read_the_close(client, make_user):
    api = _client(client, make_user, roles.MEMBERSHIP, "mo")
    assert api.get(reverse("api:dues:close-period-list")).status_code == 403
    assert api.get(reverse("api:dues:close-rollforward", args=["2026-03"])).status_code == 403
