"""Drafting pages over HTTP: read-only templates for staff, a refused edit keeps its text, the
preview and the inline flags escape what members wrote."""

import pytest
from django.urls import reverse

from common import roles
from reviews.drafting.annotate import annotate
from reviews.drafting.golden import golden_cases, install_case
from reviews.models import GuardrailRule, MessageTemplate
from tests.conftest import PASSWORD

CASES = {case["id"]: case for case in golden_cases()}


@pytest.fixture(autouse=True)
def no_model(settings):
    settings.LLM_MODEL = ""


def test_inline_flags_escape_the_text_and_mark_overlapping_flags_once():
    text = "Pay <script>x</script> $9.00 now"
    start = text.index("$9.00")
    flags = [
        {
            "code": "untraced_amount",
            "severity": "block",
            "message": "“$9.00” <b>no</b>",
            "start": start,
            "end": start + 5,
            "field": "body",
        },
        {
            "code": "tone",
            "severity": "warn",
            "message": "Tone",
            "start": start + 1,
            "end": start + 9,
            "field": "body",
        },
    ]
    html = str(annotate(text, flags))
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert html.count("<mark") == 1
    marked = '<mark class="flag flag-block" data-codes="untraced_amount tone">$9.00 now</mark>'
    assert marked in html
    assert "“$9.00” &lt;b&gt;no&lt;/b&gt;" in html


@pytest.mark.django_db
def test_staff_read_templates_but_only_managers_edit_them(client, make_user):
    make_user(roles.MEMBERSHIP)
    template = MessageTemplate.objects.get(purpose="renewal_notice", channel="email")
    client.login(username="maya", password=PASSWORD)
    page = client.get(reverse("reviews:template_detail", args=[template.pk])).content.decode()
    assert "Save as version" not in page and 'id="t-body" rows="18" class="mono" readonly' in page
    response = client.post(reverse("reviews:template_save", args=[template.pk]), {"body": "x"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_refused_template_edit_keeps_the_managers_text(client, make_user):
    make_user(roles.MANAGER)
    template = MessageTemplate.objects.get(purpose="dunning_1", channel="sms")
    client.login(username="grace", password=PASSWORD)
    body = "{{ first_name }}, pay {{ amount_due }} within 10 days."
    response = client.post(
        reverse("reviews:template_save", args=[template.pk]), {"body": body, "note": "shorter"}
    )
    page = response.content.decode()
    assert "In the body: “10” is written as literal text." in page
    assert "{{ first_name }}, pay {{ amount_due }} within 10 days.</textarea>" in page
    assert template.versions.count() == 1


@pytest.mark.django_db
def test_preview_shows_the_members_draft_with_sources_and_escapes_untrusted_samples(
    client, make_user
):
    make_user(roles.FINANCE)
    member_id, invoice_id, _ = install_case(CASES["inquiry-why-charged"])
    template = MessageTemplate.objects.get(purpose="inquiry_reply", channel="email")
    client.login(username="frank", password=PASSWORD)
    response = client.post(
        reverse("reviews:template_preview", args=[template.pk]),
        {
            "subject": "Re: <i>your</i> question",
            "body": template.current.body,
            "member_id": member_id,
        },
    )
    html = response.content.decode()
    assert "Re: &lt;i&gt;your&lt;/i&gt; question" in html
    assert "About invoice D-10510: the balance is $125.00" in html
    assert f"invoice {invoice_id}" in html  # the member's open invoice was chosen
    assert "ImisInvoice[GOLD-021-INV].balance" in html
    assert "untrusted" in html  # the sample inquiry is shown as data, marked untrusted


@pytest.mark.django_db
def test_duplicate_rule_and_bad_domain_are_refused_with_what_to_fix(client, make_user):
    make_user(roles.MANAGER)
    client.login(username="grace", password=PASSWORD)
    url = reverse("reviews:guardrail_add")
    response = client.post(url, {"kind": "prohibited", "phrase": "Lawsuit"}, follow=True)
    assert "A rule for “Lawsuit” already exists (active); change that one." in (
        response.content.decode()
    )
    response = client.post(url, {"kind": "domain", "phrase": "members example"}, follow=True)
    assert "“members example” is not a domain name" in response.content.decode()
    client.post(url, {"kind": "domain", "phrase": "https://Events.Example.com/"})
    assert GuardrailRule.objects.filter(kind="domain", phrase="events.example.com").exists()
