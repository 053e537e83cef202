"""The dashboard's hold-out comparison counts a term as renewed or lapsed by the renewal labels
(what was paid against the original amount), not by whether the paid-through date moved."""

from datetime import date
from decimal import Decimal

import pytest

from renewals import dashboard, kinds
from renewals.analysis import term_outcomes
from renewals.conf import renewal_settings
from renewals.models import ModelVersion, Outreach, ScoringRun
from renewals.selectors import day_number
from renewals.services import load_frames
from reviews.kinds import get_kind
from reviews.models import ReviewItem
from tests.renewals import factories as f

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)
TERM = date(2024, 3, 31)  # the paid-through date the term renews from (its due date)


def _members() -> list[tuple[str, date]]:
    # cancelled when the member dropped; they re-joined later, which moved paid-through past
    # the term: the paid-through rule counted this lapse as a renewal
    f.party("5001", paid_thru=date(2025, 9, 30))
    f.invoice(
        "5001",
        date(2024, 2, 1),
        TERM,
        "325.00",
        adjustment="-325.00",
        paid="0.00",
        note="Cancelled - member did not renew",
    )
    f.invoice("5001", date(2024, 10, 1), date(2024, 10, 1), "325.00", purpose="MembershipJoin")
    f.payment("5001", date(2024, 10, 1), "325.00")
    # renewed on time
    f.party("5002", paid_thru=date(2025, 3, 31))
    f.invoice("5002", date(2024, 2, 1), TERM, "325.00", paid="325.00")
    f.payment("5002", date(2024, 3, 10), "325.00")
    # written off after a part payment, paid-through left where it was
    f.party("5003", paid_thru=TERM, status="I")
    f.invoice("5003", date(2024, 2, 1), TERM, "325.00", adjustment="-175.00", paid="150.00")
    f.payment("5003", date(2024, 4, 2), "150.00")
    # a term still within grace on the day
    f.party("5004", paid_thru=date(2025, 5, 31))
    f.invoice("5004", date(2025, 4, 1), date(2025, 5, 31), "325.00", balance="325.00")
    # never billed, but the site moved paid-through past the term: the only evidence there is
    f.party("5005", paid_thru=date(2025, 3, 31))
    return [
        ("5001", TERM),
        ("5002", TERM),
        ("5003", TERM),
        ("5004", date(2025, 5, 31)),
        ("5005", TERM),
    ]


def test_term_outcomes_follow_the_labels_and_fall_back_only_where_nothing_was_billed():
    keys = _members()
    outcomes = term_outcomes(
        load_frames(),
        keys,
        as_of_day=day_number(AS_OF),
        grace_days=renewal_settings().grace_days,
    )
    assert outcomes == {
        "5001|2024-03-31": "lapsed",
        "5002|2024-03-31": "renewed",
        "5003|2024-03-31": "lapsed",
        "5004|2025-05-31": "pending",
        "5005|2024-03-31": "renewed",
    }


def test_lift_versus_hold_out_counts_the_labelled_outcomes_of_the_latest_run():
    keys = _members()
    version = ModelVersion.objects.create(
        status="active",
        as_of=AS_OF,
        training_size=10,
        validation_size=10,
        metrics={"auc": 0.8},
        baseline_metrics={"auc": 0.7},
        booster=b"",
    )
    outcomes = term_outcomes(
        load_frames(), keys, as_of_day=day_number(AS_OF), grace_days=renewal_settings().grace_days
    )
    ScoringRun.objects.create(
        as_of=AS_OF,
        model_version=version,
        horizon_days=120,
        status="succeeded",
        analysis={"outreach_outcomes": outcomes},
    )
    spec = get_kind(kinds.OUTREACH)
    groups = {
        "5001": Outreach.Group.OUTREACH,
        "5002": Outreach.Group.OUTREACH,
        "5003": Outreach.Group.HOLDOUT,
        "5004": Outreach.Group.HOLDOUT,
        "5005": Outreach.Group.HOLDOUT,
    }
    for member, term in keys:
        item = ReviewItem.objects.create(
            kind=kinds.OUTREACH, queue=spec.queue, title=f"Outreach {member}", payload={}
        )
        Outreach.objects.create(
            item=item,
            member_id=member,
            term=term,
            group=groups[member],
            probability=Decimal("0.5"),
        )
    lift = dashboard.lift_vs_holdout(today=AS_OF)
    # 5001 lapsed (its paid-through moved only when it re-joined), 5002 renewed
    assert lift["outreach"] == {
        "renewed": 1,
        "lapsed": 1,
        "pending": 0,
        "decided": 2,
        "rate": 0.5,
    }
    assert lift["holdout"] == {
        "renewed": 1,
        "lapsed": 1,
        "pending": 1,
        "decided": 2,
        "rate": 0.5,
    }
