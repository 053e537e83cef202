"""Member-facing pages (no sign-in, opened by a signed link) and the inbound-SMS webhook.

A link opens only what it is bound to: the plan page shows the one plan named by the link's
subject, and only when it belongs to the link's member; anything else is the plain "this link is
not valid" page, audited. Forms keep CSRF.
"""

import base64
import hashlib
import hmac
import logging
import re

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import DomainError
from common.links import LinkInvalid, client_ip, link_refused, member_link_view
from dues.collections import consent, plans
from imis_client.models import ImisInvoice, ImisParty, ImisSubscription

log = logging.getLogger(__name__)


@member_link_view("plan")
@require_http_methods(["GET", "POST"])
def plan_page(request, link):
    plan = plans.plan_for_link(link)
    if plan is None or plan.status not in (plans.P.OFFERED, plans.P.PROPOSED):
        return link_refused(request, purpose="plan", reason="wrong_subject")
    if request.method == "POST":
        try:
            plan = plans.plan_accept(link=link, client_ip=client_ip(request))
        except LinkInvalid as exc:  # accepted a moment ago in another tab
            return link_refused(request, purpose="plan", reason=exc.reason)
        except DomainError:
            return link_refused(request, purpose="plan", reason="wrong_subject")
        return render(
            request,
            "dues/collections/member_plan_accepted.html",
            {"plan": plan, "instalments": list(plan.instalments.all())},
        )
    invoice = ImisInvoice.objects.filter(imis_id=plan.invoice_id).first()
    return render(
        request,
        "dues/collections/member_plan.html",
        {
            "plan": plan,
            "invoice": invoice,
            "lines": list(ImisSubscription.objects.filter(invoice_id=plan.invoice_id)),
            "instalments": list(plan.instalments.all()),
            "portal_url": plans.portal_url(),
            "expires_at": link.expires_at,
        },
    )


@member_link_view("unsubscribe")
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request, link):
    """GET asks (mail scanners open links; only a person's click on the button unsubscribes),
    POST records the opt-out of e-mail."""
    if request.method == "POST":
        consent.opt_out_record(party_id=link.party_id, channel="email", source="link")
        return render(request, "dues/collections/member_unsubscribed.html", {})
    return render(request, "dues/collections/member_unsubscribe.html", {})


def unsubscribe_link(party_id: str, channel: str, communication=None) -> str:
    """The footer's unsubscribe link of one e-mail (registered in ``member_email_links``)."""
    from datetime import timedelta

    from django.urls import reverse

    from common.links import absolute_url, link_issue

    if channel != "email" or not party_id:
        return ""
    token = link_issue(
        purpose="unsubscribe", party_id=party_id, subject="email", ttl=timedelta(days=365)
    )
    return absolute_url(reverse("dues:dunning:member_unsubscribe", kwargs={"token": token}))


# --- inbound SMS (Twilio-compatible) ------------------------------------------------------------

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP", "YES", "OPTIN"}
MAX_SMS_BODY = 16 * 1024


def twilio_signature(url: str, params: dict[str, list[str]], token: str) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL followed by each parameter's name
    and value, names sorted, in base64."""
    data = url + "".join(f"{k}{v}" for k in sorted(params) for v in params[k])
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-10:]


def party_for_phone(phone: str) -> list[str]:
    """Members whose phone in the mirror is this number (compared by its last ten digits)."""
    digits = _digits(phone)
    if len(digits) < 7:
        return []
    rows = ImisParty.objects.filter(phone__contains=digits[-4:]).values_list("imis_id", "phone")
    return [imis_id for imis_id, number in rows if _digits(number) == digits]


@csrf_exempt
@require_POST
def sms_inbound(request):
    """A member's reply by SMS. STOP (and its synonyms) opts the sender out of SMS, START opts
    them in again. A request without a valid signature is refused with 403 and writes nothing."""
    token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not token or not length.isdigit() or int(length) > MAX_SMS_BODY:
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    url = getattr(settings, "TWILIO_WEBHOOK_URL", "") or request.build_absolute_uri()
    params = {k: request.POST.getlist(k) for k in request.POST}
    given = request.headers.get("X-Twilio-Signature", "")
    if not hmac.compare_digest(given.encode(), twilio_signature(url, params, token).encode()):
        log.warning("inbound SMS refused: bad signature")
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    word = (request.POST.get("Body") or "").strip().upper().split(" ")[0].strip(".!")
    sender = request.POST.get("From", "")
    for party_id in party_for_phone(sender):
        if word in STOP_WORDS:
            consent.opt_out_record(
                party_id=party_id, channel="sms", source="sms_stop", note=f"replied {word}"
            )
        elif word in START_WORDS:
            consent.opt_out_withdraw(party_id=party_id, channel="sms", source="SMS START")
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml"
    )
