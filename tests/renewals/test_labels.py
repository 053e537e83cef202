"""Labels: a member-term whose paid-through date plus grace has passed is renewed or lapsed."""

from datetime import date

import numpy as np
import pytest

from renewals.analysis import renewal_rate_by_month, root_causes
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


def _terms(as_of: date = AS_OF):
    return renewal_terms(
        load_frames(), as_of_day=day_number(as_of), grace_days=renewal_settings().grace_days
    ).set_index("member_id")


@pytest.mark.django_db
def test_labels_a_cancelled_renewal_is_a_lapse_though_its_balance_is_zero():
    # given a renewal the site cancelled when the member dropped: credited in full, with a note
    f.party("4001", paid_thru=date(2024, 3, 31), status="I")
    f.invoice(
        "4001",
        date(2024, 2, 1),
        DUE,
        "325.00",
        adjustment="-325.00",
        paid="0.00",
        note="Cancelled - member did not renew",
    )
    # and the same practice on a site that sends no PaymentAmount (the balance alone is zero)
    f.party("4002", paid_thru=date(2024, 3, 31), status="I")
    f.invoice("4002", date(2024, 2, 1), DUE, "325.00", adjustment="-325.00")
    # when labelled
    terms = _terms()
    # then both are lapses: nothing was paid against the original 325.00
    assert terms.loc["4001", "renewed"] == 0.0
    assert terms.loc["4001", "outcome"] == "cancelled"
    assert terms.loc["4002", "renewed"] == 0.0
    assert terms.loc["4002", "amount"] == 325.0  # the original amount, not net of the credit


@pytest.mark.django_db
def test_labels_a_written_off_renewal_is_a_lapse():
    # given a member who paid 150.00 of 325.00 and the site wrote off the rest
    f.party("4011", paid_thru=date(2024, 3, 31), status="I")
    f.invoice(
        "4011",
        date(2024, 2, 1),
        DUE,
        "325.00",
        adjustment="-175.00",
        paid="150.00",
        note="Balance written off",
    )
    f.payment("4011", date(2024, 4, 10), "150.00")
    # when labelled
    terms = _terms()
    # then it is a lapse, though the invoice is settled
    assert terms.loc["4011", "renewed"] == 0.0
    assert terms.loc["4011", "outcome"] == "written_off"


@pytest.mark.django_db
def test_labels_paid_late_within_grace_is_renewed_and_after_grace_is_a_lapse():
    # given two members who paid after the due date: 81 and 106 days late (grace: 90 days)
    for member, day in (("4021", date(2024, 6, 20)), ("4022", date(2024, 7, 15))):
        f.party(member)
        f.invoice(member, date(2024, 2, 1), DUE, "325.00", paid="325.00")
        f.payment(member, day, "325.00")
    # when labelled
    terms = _terms()
    # then
    assert terms.loc["4021", "renewed"] == 1.0
    assert terms.loc["4021", "renewed_day"] == day_number(date(2024, 6, 20))
    assert terms.loc["4022", "renewed"] == 0.0
    assert terms.loc["4022", "outcome"] == "paid_after_grace"


@pytest.mark.django_db
def test_labels_renewed_under_another_member_type_counts_when_paid_through_moved():
    # given a Regular renewal re-priced to the Retired rate by an adjustment, and paid at it
    f.party("4031", customer_type="RET", paid_thru=date(2025, 3, 31))
    f.invoice(
        "4031",
        date(2024, 2, 1),
        DUE,
        "325.00",
        adjustment="-205.00",
        paid="120.00",
        note="Member type changed to Retired",
    )
    f.payment("4031", date(2024, 3, 20), "120.00", member_type="RET")
    # and the same adjustment where the site did not move the paid-through date past the term
    f.party("4032", customer_type="RET", paid_thru=date(2024, 3, 31))
    f.invoice("4032", date(2024, 2, 1), DUE, "325.00", adjustment="-205.00", paid="120.00")
    f.payment("4032", date(2024, 3, 20), "120.00", member_type="RET")
    # when labelled
    terms = _terms()
    # then the first renewed (on the day of its payment), the second did not
    assert terms.loc["4031", "renewed"] == 1.0
    assert terms.loc["4031", "renewed_day"] == day_number(date(2024, 3, 20))
    assert terms.loc["4032", "renewed"] == 0.0
    assert terms.loc["4032", "outcome"] == "written_off"


@pytest.mark.django_db
def test_labels_paid_by_the_employer_is_renewed_without_a_payment_on_the_member():
    # given two employees whose renewals are billed to their employer, with no dues payment on
    # their own records: the employer paid one and had the other cancelled
    f.party("4040", is_organization=True, name="Acme Labs", customer_type="CORP")
    f.party("4041", primary_org_id="4040")
    f.invoice("4041", date(2024, 2, 1), DUE, "325.00", bill_to="4040", paid="325.00")
    f.party("4042", primary_org_id="4040", paid_thru=date(2024, 3, 31), status="I")
    f.invoice(
        "4042",
        date(2024, 2, 1),
        DUE,
        "325.00",
        bill_to="4040",
        adjustment="-325.00",
        paid="0.00",
        note="Employer cancelled: employee left",
    )
    # when labelled
    terms = _terms()
    # then
    assert terms.loc["4041", "renewed"] == 1.0
    assert terms.loc["4042", "renewed"] == 0.0
    assert terms.loc["4042", "outcome"] == "cancelled"


@pytest.mark.django_db
def test_labels_a_member_who_rejoined_after_a_gap_lapsed_the_term_they_dropped():
    # given a renewal cancelled in 2024, then a new membership joined and paid in November,
    # which moved the paid-through date past the old term
    f.party("4051", paid_thru=date(2025, 10, 31), join_date=date(2024, 11, 1))
    f.invoice(
        "4051", date(2024, 2, 1), DUE, "325.00", adjustment="-325.00", paid="0.00", note="Dropped"
    )
    f.invoice(
        "4051",
        date(2024, 11, 1),
        date(2024, 11, 1),
        "325.00",
        purpose="MembershipJoin",
        paid="325.00",
    )
    f.payment("4051", date(2024, 11, 5), "325.00")
    # when labelled
    terms = _terms()
    # then the dropped term is a lapse, and the join is not a renewal term
    assert terms.loc["4051", "renewed"] == 0.0
    assert terms.loc["4051", "outcome"] == "cancelled"
    assert len(terms.loc[["4051"]]) == 1


@pytest.mark.django_db
def test_labels_a_reissued_invoice_is_one_term_carried_by_the_new_invoice():
    # given a renewal cancelled and billed again at a corrected amount, then paid
    f.party("4061")
    first = f.invoice(
        "4061",
        date(2024, 2, 1),
        DUE,
        "325.00",
        adjustment="-325.00",
        paid="0.00",
        note="Cancelled: re-issued with the chapter fee",
    )
    second = f.invoice("4061", date(2024, 3, 10), DUE, "350.00", paid="350.00")
    f.payment("4061", date(2024, 4, 2), "350.00")
    # and a renewal billed again that was never paid
    f.party("4062", paid_thru=date(2024, 3, 31), status="I")
    f.invoice("4062", date(2024, 2, 1), DUE, "325.00", adjustment="-325.00", note="Re-issued")
    f.invoice("4062", date(2024, 3, 10), date(2024, 4, 30), "325.00", balance="325.00")
    # when labelled
    terms = _terms()
    # then each member has one term: the new invoice, renewed for 4061, lapsed for 4062
    one = terms.loc[["4061"]]
    assert list(one["invoice_id"]) == [second.imis_id] and first.imis_id not in set(
        terms["invoice_id"]
    )
    assert one["renewed"].tolist() == [1.0]
    assert terms.loc[["4062"], "renewed"].tolist() == [0.0]
    assert terms.loc[["4062"], "outcome"].tolist() == ["unpaid"]


@pytest.mark.django_db
def test_renewal_rate_and_root_causes_count_a_cancelled_renewal_as_lapsed():
    # given renewals of the latest closed cycle (due January 2025): two paid, one cancelled
    due = date(2025, 1, 31)
    for member in ("4071", "4072"):
        f.party(member)
        f.invoice(member, date(2024, 12, 1), due, "325.00", paid="325.00")
        f.payment(member, date(2025, 1, 10), "325.00")
    f.party("4073", paid_thru=due, status="I")
    f.invoice("4073", date(2024, 12, 1), due, "325.00", adjustment="-325.00", note="Cancelled")
    conf = renewal_settings()
    frames = load_frames(conf)
    # when the renewal rate and the root causes are computed as of 30 June 2025
    rate = renewal_rate_by_month(frames, as_of_day=day_number(AS_OF), grace_days=conf.grace_days)
    causes = root_causes(frames, as_of_day=day_number(AS_OF), config=conf.features)
    # then both count it as a lapse
    january = [row for row in rate["this"]["months"] if row["due"]]
    assert [(row["renewed"], row["lapsed"]) for row in january] == [(2, 1)]
    assert rate["this"]["rate"] == round(2 / 3, 4)
    assert (causes["n"], causes["lapsed"]) == (3, 1)
    assert causes["outcomes"] == {"cancelled": 1}
