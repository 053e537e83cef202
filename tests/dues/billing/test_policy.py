"""The billing policy: environment defaults, a manager's audited overrides, the page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from common import roles
from common.errors import DomainError
from common.models import AuditEvent
from dues.billing import services
from dues.billing.policy import RULES, current_policy
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_current_policy_defaults_are_the_written_policy():
    policy = current_policy()
    assert policy.term_model == "anniversary"
    assert policy.term_start_month == 1
    assert policy.multi_year_discounts == ((2, Decimal(5)), (3, Decimal(10)))
    assert policy.proration == "monthly"
    assert policy.proration_first_days == 15
    assert policy.refund_window_days == 90
    assert policy.cancellation_fee == Decimal("0.00")
    assert policy.memo_threshold == Decimal("100.00")
    assert policy.dues_item_for("REG") == "DUES/REG"
    assert policy.chapter_item_for("NE") == "CHAPT/NE"
    assert policy.is_complimentary("life")


def test_policy_reads_the_environment_settings(settings):
    settings.BILLING_MULTI_YEAR_DISCOUNTS = "2:4,3:8.5"
    settings.BILLING_PRORATION = "daily"
    policy = current_policy()
    assert policy.discount_percent(3) == Decimal("8.5")
    assert policy.proration == "daily"


def test_every_rule_is_a_documented_setting():
    from django.conf import settings

    for rule in RULES:
        assert hasattr(settings, rule.setting), rule.setting


def test_policy_set_overrides_and_audits_before_and_after(make_user):
    grace = make_user(roles.MANAGER)
    changed = services.billing_policy_set(
        user=grace, values={"refund_window_days": "60", "cancellation_fee": "15"}
    )
    assert changed == {"refund_window_days": ["90", "60"], "cancellation_fee": ["0.00", "15.00"]}
    policy = current_policy()
    assert policy.refund_window_days == 60
    assert policy.cancellation_fee == Decimal("15.00")
    event = AuditEvent.objects.get(action="billing.policy_changed")
    assert event.actor == grace
    assert event.data == {
        "before": {"refund_window_days": "90", "cancellation_fee": "0.00"},
        "after": {"refund_window_days": "60", "cancellation_fee": "15.00"},
    }


def test_policy_set_back_to_default_removes_the_override(make_user):
    grace = make_user(roles.MANAGER)
    services.billing_policy_set(user=grace, values={"proration": "daily"})
    services.billing_policy_set(user=grace, values={"proration": "monthly"})
    from dues.models import BillingPolicySetting

    assert not BillingPolicySetting.objects.exists()
    assert AuditEvent.objects.filter(action="billing.policy_changed").count() == 2


def test_policy_set_refuses_bad_values_and_stores_nothing(make_user):
    grace = make_user(roles.MANAGER)
    with pytest.raises(DomainError, match=r"Multi-year discounts: “3-10” is not years:percent"):
        services.billing_policy_set(
            user=grace, values={"multi_year_discounts": "3-10", "refund_window_days": "30"}
        )
    assert current_policy().refund_window_days == 90
    with pytest.raises(DomainError, match="Proration: “weekly” is not one of monthly, daily, none"):
        services.billing_policy_set(user=grace, values={"proration": "weekly"})


def test_a_three_year_term_needs_a_configured_discount():
    policy = current_policy()
    with pytest.raises(DomainError, match="A 4-year term is not offered"):
        policy.discount_percent(4)


def test_policy_page_manager_changes_a_rule(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    page = client.get(reverse("dues:billing:policy"))
    assert page.status_code == 200
    assert "BILLING_REFUND_WINDOW_DAYS" in page.content.decode()
    response = client.post(reverse("dues:billing:policy_update"), {"refund_window_days": "45"})
    assert response.status_code == 302
    assert current_policy().refund_window_days == 45


def test_policy_page_shows_the_error_and_keeps_the_policy(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    response = client.post(reverse("dues:billing:policy_update"), {"term_start_month": "13"})
    assert response.status_code == 400
    assert "13 is outside 1 to 12" in response.content.decode()
    assert current_policy().term_start_month == 1


def test_policy_page_is_read_only_for_finance(client, make_user):
    make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)
    assert (
        "Only a manager can change the policy"
        in client.get(reverse("dues:billing:policy")).content.decode()
    )
    assert (
        client.post(reverse("dues:billing:policy_update"), {"proration": "none"}).status_code == 403
    )
    assert current_policy().proration == "monthly"
