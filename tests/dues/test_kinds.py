"""The payment-application payload: one typed value, its JSON form, and old items' text form."""

import json
import re
from decimal import Decimal

import pytest

from common import roles
from common.errors import DomainError
from dues import ledger, services
from dues.kinds import Allocation, PaymentApplication
from reviews import services as reviews
from reviews.models import ReviewItem
from tests.dues.conftest import Cand

D = Decimal


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


def test_payment_application_round_trips_through_its_json_payload():
    application = PaymentApplication(
        payment_id=12,
        action="apply",
        member_id="48300",
        payer_id="70001",
        allocations=(Allocation("10301", D("95.00")), Allocation("10302", D("60.5"))),
        credit=D("44.50"),
    )
    payload = application.to_payload()
    assert payload == {
        "payment": 12,
        "action": "apply",
        "member": "48300",
        "payer": "70001",
        "invoices": [
            {"invoice": "10301", "amount": "95.00"},
            {"invoice": "10302", "amount": "60.50"},
        ],
        "credit": "44.50",
    }
    assert PaymentApplication.from_payload(json.loads(json.dumps(payload))) == application


def test_payment_application_reads_the_text_form_that_older_items_kept():
    old = {
        "payment": "12",
        "action": "apply",
        "member": "48213",
        "payer": "48213",
        "invoices": "10234=100.00, 10240=20",
        "credit": "0.00",
    }
    assert PaymentApplication.from_payload(old) == PaymentApplication(
        payment_id=12,
        member_id="48213",
        payer_id="48213",
        allocations=(Allocation("10234", D("100.00")), Allocation("10240", D("20.00"))),
        credit=D("0.00"),
    )
    not_ours = {"payment": "13", "action": "not_ours", "member": "", "invoices": "", "credit": ""}
    assert PaymentApplication.from_payload(not_ours) == PaymentApplication.not_ours(13)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"payment": "x"}, "Payment x does not exist."),
        ({"payment": 1, "action": "refund"}, "The action must be apply, credit or not_ours."),
        (
            {"payment": 1, "invoices": "10234 120"},
            "“10234 120” is not INVOICE=AMOUNT (for example 10234=120.00).",
        ),
        (
            {"payment": 1, "invoices": [{"invoice": "10234", "amount": "lots"}]},
            "The amount “lots” is not an amount.",
        ),
        ({"payment": 1, "credit": "1O.00"}, "The credit “1O.00” is not an amount."),
    ],
)
def test_a_payload_that_cannot_be_read_is_refused_with_what_to_fix(payload, message):
    with pytest.raises(DomainError, match=exactly(message)):
        PaymentApplication.from_payload(payload)


def test_a_candidate_larger_than_the_payment_is_cut_to_what_it_brings(mirror, make_payment):
    payment = make_payment("150.00")
    candidate = Cand(member_id="48213", allocations=(("10234", D("120.00")), ("10240", D("60"))))
    assert PaymentApplication.for_candidate(payment, candidate) == PaymentApplication(
        payment_id=payment.pk,
        member_id="48213",
        payer_id="48213",
        allocations=(Allocation("10234", D("120.00")), Allocation("10240", D("30.00"))),
        credit=D("0.00"),
    )


def test_an_item_filed_with_the_old_text_payload_is_still_carried_out(
    mirror, make_payment, make_user
):
    mirror.member("48213", "John Smith")
    mirror.invoice("10234", "48213", "120.00")
    frank = make_user(roles.FINANCE)
    payment = services.payment_candidates_file(
        payment_id=make_payment().pk,
        candidates=[Cand(member_id="48213", allocations=(("10234", D("120.00")),))],
        auto_eligible=False,
    )
    old = {
        "payment": str(payment.pk),
        "action": "apply",
        "member": "48213",
        "payer": "48213",
        "invoices": "10234=120.00",
        "credit": "0.00",
    }
    ReviewItem.objects.filter(pk=payment.review_item_id).update(payload=old, original_payload=old)
    reviews.review_item_decide(item_id=payment.review_item_id, user=frank, decision="accept")
    item = reviews.review_item_execute(item_id=payment.review_item_id)
    assert item.status == "done"
    assert ledger.payment_held_allocations(payment.pk) == ([("10234", D("120.00"))], D("0.00"))
