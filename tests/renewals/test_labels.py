"""Labels: a member-term whose paid-through date plus grace has passed is renewed or lapsed."""

from datetime import date

import numpy as np
import pytest

from renewals.conf import renewal_settings
from renewals.labels import renewal_terms
from renewals.selectors import day_number
from renewals.services import load_frames
from tests.renewals import factories as f

AS_OF = date(2025, 6, 30)
DUE = date(2024, 3, 31)


@pytest.mark.django_db
def test_labels_of_hand_built_members():
    # given members whose 2024 renewal fell due on 31 March 2024 (grace: 90 days)
    cases = {
        "3001": [("2024-03-15", "325.00")],  # renewed on time
        "3002": [("2024-05-20", "325.00")],  # renewed late, within grace
        "3003": [("2024-04-01", "150.00")],  # paid part, never the rest: lapsed
        "3004": [],  # never paid: lapsed
        "3005": [("2024-08-15", "325.00")],  # paid after grace: lapsed, then reinstated
    }
    for member, payments in cases.items():
        f.party(member)
        paid = sum(float(a) for _, a in payments)
        f.invoice(member, date(2024, 2, 1), DUE, "325.00", balance=f"{325 - paid:.2f}")
        for day, amount in payments:
            f.payment(member, date.fromisoformat(day), amount)
    f.party("3006", join_date=date(2024, 9, 1))  # a new joiner: no renewal yet
    f.invoice("3006", date(2024, 9, 1), date(2024, 9, 1), "325.00", purpose="MembershipJoin")
    f.payment("3006", date(2024, 9, 1), "325.00")
    f.party("3007")  # renews in April 2025: still within grace on 30 June
    f.invoice("3007", date(2025, 2, 1), date(2025, 4, 30), "325.00", balance="325.00")
    # when the terms are labelled as of 30 June 2025
    terms = renewal_terms(
        load_frames(), as_of_day=day_number(AS_OF), grace_days=renewal_settings().grace_days
    ).set_index("member_id")
    # then
    assert terms.loc["3001", "renewed"] == 1.0
    assert terms.loc["3002", "renewed"] == 1.0
    assert terms.loc["3003", "renewed"] == 0.0
    assert terms.loc["3004", "renewed"] == 0.0
    assert terms.loc["3005", "renewed"] == 0.0
    assert "3006" not in terms.index
    assert not terms.loc["3007", "closed"] and np.isnan(terms.loc["3007", "renewed"])
    assert terms.loc["3007", "cycle"] == -1
    # a year before the last closed due date (31 March 2025) is the cycle before the latest
    assert set(terms.loc[list(cases), "cycle"]) == {1}
    assert terms.loc["3001", "day"] == day_number(date(2024, 2, 1))  # features as of billing
