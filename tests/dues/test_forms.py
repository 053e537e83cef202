"""The payment-application edit form: rows per invoice, the kind's checks, the review page."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from common import roles
from dues import services
from dues.forms import PaymentApplicationForm
from imis_client.models import ImisInvoice
from reviews.models import ReviewItem
from tests.conftest import PASSWORD
from tests.dues.conftest import Cand

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def item(mirror, make_payment):
    """$150.00 from John Smith, proposed as his invoice 10234 ($120.00) and $30.00 credit."""
    mirror.member("48213", "John Smith", email="john.smith@example.org")
    mirror.member("48214", "Jane Smith")
    mirror.invoice("10234", "48213", "120.00")
    mirror.invoice("10235", "48213", "50.00", description="2026 chapter dues")
    mirror.invoice("10240", "48214", "60.00")
    payment = services.payment_candidates_file(
        payment_id=make_payment("150.00").pk,
        candidates=[
            Cand(member_id="48213", allocations=(("10234", D("120.00")),), credit=D("30.00"))
        ],
        auto_eligible=False,
    )
    return payment.review_item


def edit(item, **changes) -> PaymentApplicationForm:
    data = {
        "action": "apply",
        "member": "48213",
        "payer": "48213",
        "amount_10234": "120.00",
        "amount_10235": "",
        "credit": "30.00",
        **changes,
    }
    return PaymentApplicationForm(
        {f"payload-{k}": v for k, v in data.items()}, item=item, prefix="payload"
    )


def test_the_form_shows_the_proposal_and_the_members_open_invoices_as_rows(item):
    form = PaymentApplicationForm(item=item, prefix="payload")
    assert [(row["invoice_id"], row["field"].value()) for row in form.rows] == [
        ("10234", "120.00"),
        ("10235", ""),
    ]
    assert form["credit"].value() == "30.00"
    assert form.running_total() == {
        "payment": "150.00",
        "currency": "USD",
        "total": "$150.00",
        "balance": "All $150.00 placed.",
        "state": "ok",
    }


def test_an_edit_that_adds_up_gives_the_typed_payload(item):
    form = edit(item, amount_10234="100.00", amount_10235="$50", credit="0")
    assert form.is_valid(), form.errors
    assert form.payload() == {
        "payment": item.payload["payment"],
        "action": "apply",
        "member": "48213",
        "payer": "48213",
        "invoices": [
            {"invoice": "10234", "amount": "100.00"},
            {"invoice": "10235", "amount": "50.00"},
        ],
        "credit": "0.00",
    }


def test_amounts_beyond_the_payment_are_refused(item):
    form = edit(item, amount_10235="50.00", credit="0")
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "The invoices add up to $170.00, more than the payment's $150.00; lower an amount."
    ]
    assert form.running_total()["balance"] == "$20.00 more than the payment of $150.00."


def test_an_invoice_that_is_no_longer_open_is_refused(item):
    ImisInvoice.objects.filter(imis_id="10234").update(is_open=False, balance=D("0"))
    form = edit(item)
    assert not form.is_valid()
    assert form.non_field_errors() == ["Invoice 10234 is not open; choose an open invoice."]


def test_a_negative_amount_is_refused_on_its_row(item):
    form = edit(item, amount_10234="140.00", amount_10235="-20", credit="30.00")
    assert not form.is_valid()
    assert form.errors == {"amount_10235": ["The amount for invoice 10235 cannot be negative."]}


def test_an_amount_that_is_not_a_number_is_named(item):
    form = edit(item, amount_10235="fifty")
    assert form.errors == {"amount_10235": ["“fifty” is not an amount."]}


@pytest.fixture
def frank(client, make_user):
    make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)


def test_the_review_page_edits_the_application_through_its_form(client, frank, item, make_user):
    url = reverse("reviews:item", args=[item.pk])
    page = client.get(url).content.decode()
    assert 'id="allocation-rows"' in page and 'name="payload-amount_10235"' in page
    assert 'aria-label="Search for the payer"' in page and "js/payment-application.js" in page
    assert "John Smith" in page and "2026 chapter dues" in page
    data = {
        "decision": "edit",
        "payload-action": "apply",
        "payload-member": "48213",
        "payload-payer": "48214",
        "payload-amount_10234": "100.00",
        "payload-amount_10235": "50.00",
        "payload-credit": "30.00",
    }
    refused = client.post(reverse("reviews:decide", args=[item.pk]), data)
    assert refused.status_code == 400
    assert (
        "The amounts add up to $180.00 but the payment is $150.00; put the difference on an "
        "invoice or in credit." in refused.content.decode()
    )
    assert 'value="100.00"' in refused.content.decode()  # the edit is kept on the page
    saved = client.post(reverse("reviews:decide", args=[item.pk]), {**data, "payload-credit": "0"})
    assert saved.status_code == 302
    item = ReviewItem.objects.get(pk=item.pk)
    assert (item.status, item.last_edited_by.username) == ("pending", "frank")  # for a second
    assert item.payload["payer"] == "48214"
    make_user(roles.FINANCE, "fiona")
    fiona = Client()
    fiona.login(username="fiona", password=PASSWORD)
    fiona.post(reverse("reviews:decide", args=[item.pk]), {"decision": "accept"})
    assert ReviewItem.objects.get(pk=item.pk).status == "edited"
    shown = client.get(url).content.decode()
    assert "<dt>Invoices</dt><dd>10234: $100.00; 10235: $50.00</dd>" in shown
    assert "Credit on account “$30.00” → “$0.00”" in shown


def test_the_member_picker_searches_the_mirrors_parties(client, frank, item):
    found = client.get(reverse("dues:party_search"), {"q": "smith"}).content.decode()
    assert 'data-party-id="48214" data-party-name="Jane Smith"' in found
    assert "john.smith@example.org" in found
    assert client.get(reverse("dues:party_search"), {"q": "j"}).content.decode().strip() == ""
    none = client.get(reverse("dues:party_search"), {"q": "nobody"}).content.decode()
    assert "No member matches “nobody”." in none
