"""Payment pages and API: filters, one-click actions, uploads, escaping, the member-page flag."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from common import roles
from common.models import AuditEvent
from dues import services
from dues.models import Payment, PaymentImport
from dues.services.policy import matching_policy
from tests.conftest import PASSWORD
from tests.dues.conftest import Cand, bai2_sample

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def frank(client, make_user):
    user = make_user(roles.FINANCE)
    client.login(username="frank", password=PASSWORD)
    return user


@pytest.fixture
def proposed(mirror, make_payment):
    mirror.member("48213", "John Smith")
    mirror.member("48214", "Jane Smith")
    mirror.invoice("10234", "48213", "120.00")
    mirror.invoice("10240", "48214", "60.00")
    mirror.invoice("10241", "48214", "60.00")
    payment = make_payment(payer_name="J. Smith", memo="<script>alert('memo')</script> INV 10234")
    return services.payment_candidates_file(
        payment_id=payment.pk,
        auto_eligible=False,
        candidates=[
            Cand(
                member_id="48213",
                allocations=(("10234", D("120.00")),),
                confidence=0.7,
                explanation="INV-10234 in memo; amount equals balance",
            ),
            Cand(
                member_id="48214",
                allocations=(("10240", D("60.00")), ("10241", D("60.00"))),
                confidence=0.25,
                explanation="payer name 80 % similar; two invoices sum",
            ),
        ],
    )


def test_queue_shows_tabs_filters_and_escapes_remittance_text(
    client, frank, proposed, make_payment
):
    make_payment("15.00", source="bai2", method="ach", payer_name="Small ACH")
    response = client.get(reverse("dues:queue"), {"tab": "proposed"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-payment="{proposed.pk}"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;memo&#x27;)" in html
    assert 'data-tab="unmatched">Unmatched <span class="badge">1</span>' in html
    # filters: source and amount keep only what matches
    unmatched = client.get(reverse("dues:queue"), {"tab": "unmatched", "source": "csv"})
    assert "Small ACH" not in unmatched.content.decode()
    ach = client.get(reverse("dues:queue"), {"tab": "unmatched", "max_amount": "20"})
    assert "Small ACH" in ach.content.decode()
    # htmx asks for the table alone; a bad number is named, not fatal
    partial = client.get(
        reverse("dues:queue"), {"tab": "proposed", "min_amount": "lots"}, HTTP_HX_REQUEST="true"
    )
    text = partial.content.decode()
    assert "<html" not in text and "“lots” is not a number. It was ignored." in text
    by_confidence = client.get(reverse("dues:queue"), {"tab": "all", "sort": "-confidence"})
    assert by_confidence.status_code == 200


def _second_person(make_user) -> Client:
    make_user(roles.FINANCE, "fiona")
    other = Client()
    other.login(username="fiona", password=PASSWORD)
    return other


def test_payment_page_applies_the_proposal_with_a_click(client, frank, proposed):
    client.post(reverse("dues:decide", args=[proposed.pk]), {"action": "candidate", "rank": "1"})
    proposed.refresh_from_db()
    assert (proposed.status, proposed.member_id) == ("held", "48213")


def test_another_candidate_is_one_persons_choice_and_another_approves_it(
    client, frank, proposed, make_user
):
    page = client.get(reverse("dues:payment_detail", args=[proposed.pk])).content.decode()
    assert "INV-10234 in memo; amount equals balance" in page
    assert 'id="apply-2"' in page and 'name="amount_10240"' in page
    choice = {"action": "candidate", "rank": "2"}
    response = client.post(reverse("dues:decide", args=[proposed.pk]), choice, follow=True)
    assert "your choice is saved as a proposal; someone else must approve it" in (
        response.content.decode()
    )
    proposed.refresh_from_db()
    assert proposed.status == "proposed"
    again = client.post(reverse("dues:decide", args=[proposed.pk]), choice, follow=True)
    assert "You edited this item last; someone else must approve it." in again.content.decode()
    _second_person(make_user).post(reverse("dues:decide", args=[proposed.pk]), choice)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.member_id) == ("held", "48214")


def test_split_form_spreads_the_payment_and_names_a_conflict(client, frank, proposed, make_user):
    url = reverse("dues:decide", args=[proposed.pk])
    over = client.post(
        url, {"action": "split", "member": "48214", "amount_10240": "130.00"}, follow=True
    )
    assert (
        "The invoices add up to $130.00, more than the payment&#x27;s $120.00; lower an amount."
        in over.content.decode()
    )
    fiona = _second_person(make_user)
    too_much = {"action": "split", "member": "48214", "amount_10240": "100.00"}
    client.post(url, {**too_much, "amount_10241": "20.00"})
    bad = fiona.post(url, {**too_much, "amount_10241": "20.00"}, follow=True)
    assert "Invoice 10240 has $60.00 left to apply" in bad.content.decode()
    split = {"action": "split", "member": "48214", "amount_10240": "60.00", "amount_10241": "40.00"}
    client.post(url, split)
    fiona.post(url, split)
    proposed.refresh_from_db()
    record = client.get(reverse("dues:payment_detail", args=[proposed.pk])).content.decode()
    assert proposed.status == "held"
    assert "Credit on account" in record and "20.00" in record


def test_undo_from_the_hold_page_returns_there(client, frank, proposed):
    client.post(reverse("dues:decide", args=[proposed.pk]), {"action": "candidate", "rank": "1"})
    hold = client.get(reverse("dues:hold")).content.decode()
    assert f'data-payment="{proposed.pk}"' in hold and "John Smith" in hold
    response = client.post(reverse("dues:undo", args=[proposed.pk]), {"next": reverse("dues:hold")})
    assert response["Location"] == reverse("dues:hold")
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_upload_page_imports_a_bai2_file_and_shows_its_report(client, frank):
    upload = SimpleUploadedFile("march.bai", bai2_sample("sample1.txt"))
    response = client.post(reverse("dues:import"), {"file": upload})
    record = PaymentImport.objects.get()
    assert response["Location"] == reverse("dues:import_detail", args=[record.pk])
    report = client.get(response["Location"]).content.decode()
    assert "MACLEOD MALL" in report and 'id="import-payments"' in report
    bad = client.post(
        reverse("dues:import"),
        {"file": SimpleUploadedFile("x.txt", bai2_sample("sample-parseError.txt"))},
    )
    assert bad.status_code == 400
    assert "x.txt: Line 1 starts with &#x27;00&#x27;" in bad.content.decode()


def test_import_page_shows_lockbox_deposits_and_the_payment_its_deposit(client, frank):
    upload = SimpleUploadedFile("lockbox.bai", bai2_sample("lockbox-deposits.txt"))
    response = client.post(reverse("dues:import"), {"file": upload})
    report = client.get(response["Location"]).content.decode()
    assert 'id="import-deposits"' in report
    assert "Itemized" in report and "Waiting for the lockbox detail" in report
    check = Payment.objects.get(line_number=5)
    page = client.get(reverse("dues:payment_detail", args=[check.pk])).content.decode()
    assert "LBX0701A (lockbox 4471): 955.00 in 3 items, itemized" in page


def test_check_entry_form_records_a_check(client, frank):
    response = client.post(
        reverse("dues:check_new"),
        {
            "check_number": "4471",
            "amount": "95.00",
            "received_on": "2026-03-02",
            "payer_name": "Liam O'Connor",
            "memo": "mbr 52002",
        },
    )
    payment = Payment.objects.get()
    assert response["Location"] == reverse("dues:payment_detail", args=[payment.pk])
    assert (payment.source, payment.amount, payment.reference) == ("check", D("95.00"), "4471")


def test_matching_performance_page_has_bands_and_a_chart(client, make_user, proposed):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    html = client.get(reverse("dues:performance")).content.decode()
    assert 'id="performance-chart"' in html and "50 to 80 %" in html


def test_member_page_flags_an_invoice_with_a_payment_on_its_way(client, make_user, proposed):
    make_user(roles.MEMBERSHIP)
    client.login(username="maya", password=PASSWORD)
    member = client.get(reverse("imis_client:member_detail", args=["48213"])).content.decode()
    assert reverse("dues:member_pending", args=["48213"]) in member
    flag = client.get(reverse("dues:member_pending", args=["48213"])).content.decode()
    assert "Invoice 10234" in flag and "probably pays $120.00 of this invoice" in flag
    assert "dues/payments/" not in flag  # membership staff see the flag, not the payment page
    assert client.get(reverse("dues:member_pending", args=["48214"])).content.strip() == b""


def test_api_lists_payments_with_status_applied_invoices_and_candidates(client, frank, proposed):
    client.post(reverse("dues:decide", args=[proposed.pk]), {"action": "candidate", "rank": "1"})
    listing = client.get(reverse("api:dues:payment-list"), {"status": "held"}).json()
    (row,) = listing["results"]
    assert (row["id"], row["status"], row["amount"]) == (proposed.pk, "held", "120.00")
    assert row["applied_invoices"] == [{"invoice_id": "10234", "held": "120.00", "posted": "0.00"}]
    assert row["review_item"] == Payment.objects.get(pk=proposed.pk).review_item_id
    candidates = client.get(reverse("api:dues:payment-candidates", args=[proposed.pk])).json()
    assert [(c["rank"], c["member_id"], c["confidence"]) for c in candidates] == [
        (1, "48213", "0.700"),
        (2, "48214", "0.250"),
    ]


def test_a_check_entered_by_hand_is_applied_only_by_someone_else(client, frank, mirror, make_user):
    mirror.member("48213", "John Smith")
    mirror.invoice("10234", "48213", "120.00")
    entered = client.post(
        reverse("dues:check_new"),
        {
            "check_number": "5521",
            "amount": "120.00",
            "received_on": "2026-11-30",
            "payer_name": "John Smith",
            "memo": "INV 10234",
        },
    )
    assert entered.status_code == 302
    payment = Payment.objects.get(reference="5521")
    assert payment.entered_by.username == "frank"
    payment = services.payment_candidates_file(
        payment_id=payment.pk,
        auto_eligible=False,
        candidates=[Cand(member_id="48213", allocations=(("10234", D("120.00")),))],
    )
    assert payment.review_item.proposed_by.username == "frank"
    # the person who entered the check cannot apply it: not on the page, not with a token
    page = client.post(
        reverse("dues:decide", args=[payment.pk]), {"action": "candidate", "rank": "1"}, follow=True
    )
    assert "You proposed this item; someone else must approve it." in page.content.decode()
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=payment.entered_by)
    api = Client().post(
        f"/api/v1/review-items/{payment.review_item_id}/decide/",
        {"decision": "accept"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert api.status_code == 403
    payment.refresh_from_db()
    assert payment.status == "proposed"
    # a second finance person applies it
    _second_person(make_user).post(
        reverse("dues:decide", args=[payment.pk]), {"action": "candidate", "rank": "1"}
    )
    payment.refresh_from_db()
    assert (payment.status, payment.member_id) == ("held", "48213")


def test_manager_sets_the_rule_for_several_open_invoices_of_the_amount(client, make_user):
    # given a manager on the Matching performance page
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    page = client.get(reverse("dues:performance")).content.decode()
    assert 'value="propose" checked' in page
    # when she chooses the oldest invoice first
    client.post(reverse("dues:matching_policy"), {"tie_rule": "oldest"})
    # then matching runs with it, and the change is audited
    assert matching_policy().tie_rule == "oldest"
    event = AuditEvent.objects.get(action="dues.matching_policy_changed")
    assert event.summary == "Several open invoices of the amount: Apply to the oldest invoice"
    assert event.data == {"before": {"tie_rule": "propose"}, "after": {"tie_rule": "oldest"}}
    refused = client.post(reverse("dues:matching_policy"), {"tie_rule": "newest"}, follow=True)
    assert "Unknown rule &#x27;newest&#x27;: choose propose, oldest or current." in (
        refused.content.decode()
    )


def test_finance_staff_cannot_set_the_matching_rule(client, frank):
    assert client.post(reverse("dues:matching_policy"), {"tie_rule": "oldest"}).status_code == 403


def test_api_undoes_an_application_inside_its_hold_and_says_why_it_cannot_after(
    client, frank, proposed
):
    # given a payment applied from its page, now on hold
    client.post(reverse("dues:decide", args=[proposed.pk]), {"action": "candidate", "rank": "1"})
    url = reverse("api:dues:payment-undo", args=[proposed.pk])
    # when finance undoes it through the API
    response = client.post(url)
    # then it is back in review, as the Hold page's Undo leaves it
    assert response.status_code == 200
    assert response.json()["status"] == "proposed"
    # and a second undo (a double click) is refused with the reason
    again = client.post(url)
    assert again.status_code == 409
    assert again.json() == {
        "detail": f"Payment #{proposed.pk} is proposed; only a payment on hold can be undone.",
        "code": "not_held",
    }


def test_api_undo_needs_the_right_to_manage_payments(client, make_user, proposed):
    make_user(roles.MEMBERSHIP)
    client.login(username="maya", password=PASSWORD)
    assert client.post(reverse("api:dues:payment-undo", args=[proposed.pk])).status_code == 403
