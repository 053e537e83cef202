"""Signed links that open a member-facing page without signing in: one service for all of them.

A link is a ``MemberLink`` row (what it is bound to: the member, the subject, its expiry, single
use, revocation) and a token signed with the project's secret that names the row. A token that is
tampered with, expired, used up, revoked, for another purpose or for another subject opens
nothing: the page says only "this link is not valid", and the attempt is audited with its reason.

    token = link_issue(purpose="plan", party_id="1042", subject="plan:7", ttl=timedelta(days=14),
                       single_use=True, issued_by=request.user)
    url = request.build_absolute_uri(reverse("dues:plan_link", kwargs={"token": token}))

    @member_link_view("plan")
    def plan_page(request, link): ...          # link.party_id, link.subject are what it opens

Every outgoing e-mail carries the links registered in ``member_email_links`` (an unsubscribe
link, the member's own account page), built per message by the app that owns the page.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from common.audit import audit_record
from common.models import MemberLink
from common.registry import Registry

SALT = "common.links"
MAX_TTL = timedelta(days=400)


class LinkInvalid(Exception):
    """The link opens nothing. ``reason`` is for the audit trail, never for the member."""

    REASONS = (
        "tampered",
        "unknown",
        "expired",
        "used",
        "revoked",
        "wrong_purpose",
        "wrong_subject",
    )

    def __init__(self, reason: str) -> None:
        assert reason in self.REASONS, reason
        self.reason = reason
        super().__init__(reason)


def link_issue(
    *,
    purpose: str,
    party_id: str,
    ttl: timedelta,
    subject: str = "",
    single_use: bool = False,
    issued_by=None,
) -> str:
    """A new link's token. The row is saved in the caller's transaction."""
    if not purpose or not str(party_id).strip():
        raise ValueError("a link needs a purpose and the member it opens for")
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"a link lives more than no time and at most {MAX_TTL.days} days")
    link = MemberLink(
        purpose=purpose,
        party_id=str(party_id).strip(),
        subject=subject,
        nonce=secrets.token_hex(16),
        expires_at=timezone.now() + ttl,
        single_use=single_use,
        issued_by=issued_by if getattr(issued_by, "is_authenticated", False) else None,
    )
    link.full_clean()
    link.save()
    return signing.dumps({"i": link.pk, "n": link.nonce, "p": purpose}, salt=SALT, compress=False)


def link_resolve(*, token: str, purpose: str, subject: str | None = None) -> MemberLink:
    """The link a token names, if it still opens ``purpose`` (and ``subject`` when given)."""
    try:
        claims = signing.loads(token, salt=SALT)
        link_id, nonce, claimed_purpose = int(claims["i"]), str(claims["n"]), str(claims["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid("tampered") from None
    link = MemberLink.objects.filter(pk=link_id, nonce=nonce).first()
    if link is None:
        raise LinkInvalid("unknown")
    if claimed_purpose != purpose or link.purpose != purpose:
        raise LinkInvalid("wrong_purpose")
    if subject is not None and link.subject != subject:
        raise LinkInvalid("wrong_subject")
    if link.revoked_at is not None:
        raise LinkInvalid("revoked")
    if link.single_use and link.used_at is not None:
        raise LinkInvalid("used")
    if link.expires_at <= timezone.now():
        raise LinkInvalid("expired")
    return link


@transaction.atomic
def link_consume(*, link: MemberLink) -> MemberLink:
    """Use a single-use link up, once: a second consume (a double click, a replay) is refused."""
    updated = MemberLink.objects.filter(pk=link.pk, used_at__isnull=True, revoked_at__isnull=True)
    if not updated.update(used_at=timezone.now()):
        raise LinkInvalid("used")
    link.refresh_from_db()
    audit_record(
        action="link.used",
        summary=f"The member used their {link.purpose} link",
        actor_name=f"member {link.party_id}",
        object_type="member_link",
        object_id=link.pk,
        member_id=link.party_id,
        data={"purpose": link.purpose, "subject": link.subject},
    )
    return link


@transaction.atomic
def link_revoke(*, link: MemberLink, by=None) -> MemberLink:
    if link.revoked_at is None:
        MemberLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
        link.refresh_from_db()
        audit_record(
            action="link.revoked",
            summary=f"{link.purpose} link revoked",
            actor=by,
            object_type="member_link",
            object_id=link.pk,
            member_id=link.party_id,
            data={"purpose": link.purpose, "subject": link.subject},
        )
    return link


def links_revoke_for(*, purpose: str, party_id: str, subject: str, by=None) -> int:
    """Revoke every live link to one subject (a plan changed or cancelled): returns how many."""
    count = 0
    for link in MemberLink.objects.filter(
        purpose=purpose, party_id=party_id, subject=subject, revoked_at__isnull=True
    ):
        link_revoke(link=link, by=by)
        count += 1
    return count


# --- pages -------------------------------------------------------------------------------------


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_limited(request) -> bool:
    """Per client address and minute, ``MEMBER_LINK_RATE_PER_MINUTE`` requests (the cache is
    per process: with N web processes a client gets at most N times as many)."""
    limit = int(getattr(settings, "MEMBER_LINK_RATE_PER_MINUTE", 30))
    key = f"member-link-rate:{client_ip(request)}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > limit


def link_refused(request, *, purpose: str, reason: str, status: int = 404):
    """The one page a link that opens nothing shows: no data, no hint of why. Audited."""
    audit_record(
        action="link.refused",
        summary=f"A {purpose} link was refused ({reason})",
        actor_name="anonymous",
        object_type="member_link",
        data={
            "purpose": purpose,
            "reason": reason,
            "ip": client_ip(request),
            "path_kind": request.method,
        },
    )
    return render(request, "common/link_invalid.html", {"reason": reason}, status=status)


def member_link_view(purpose: str) -> Callable:
    """Decorate a member-facing view: no sign-in, the link from the URL's ``token``, rate-limited.

    The view is called as ``view(request, link, **other_url_kwargs)`` with a link that is valid
    now; CSRF stays on for its forms. Any failure renders ``link_invalid`` (404; 429 when the
    client asks too often) and is audited.
    """

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, token: str, **kwargs):
            if _rate_limited(request):
                return link_refused(request, purpose=purpose, reason="rate_limited", status=429)
            try:
                link = link_resolve(token=token, purpose=purpose)
            except LinkInvalid as exc:
                return link_refused(request, purpose=purpose, reason=exc.reason)
            MemberLink.objects.filter(pk=link.pk).update(
                opens=F("opens") + 1, last_opened_at=timezone.now()
            )
            response = view(request, link, **kwargs)
            # The token must not leak to other sites; same-origin (not no-referrer, under which
            # browsers send "Origin: null" and Django's CSRF check refuses the page's own form).
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex"
            return response

        return login_not_required(never_cache(wrapper))

    return decorate


# --- links every e-mail carries ------------------------------------------------------------------


@dataclass(frozen=True)
class EmailLink:
    """A link for an e-mail's footer. ``build(party_id, channel, communication)`` returns the
    absolute URL, or "" when this message gets none (no member, a channel it does not fit)."""

    label: str
    build: Callable[..., str]


member_email_links: Registry[EmailLink] = Registry("member e-mail link")


def email_footer_links(*, party_id: str, channel: str, communication=None) -> list[tuple[str, str]]:
    """(label, url) of each registered link for one outgoing message, in registration order."""
    links = []
    for entry in member_email_links.all():
        url = entry.build(party_id, channel, communication)
        if url:
            links.append((entry.label, url))
    return links


def absolute_url(path: str) -> str:
    """A path made absolute with ``PUBLIC_BASE_URL`` (member links leave the building)."""
    base = str(getattr(settings, "PUBLIC_BASE_URL", "http://localhost:8000")).rstrip("/")
    return f"{base}{path}"
