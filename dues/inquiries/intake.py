"""Inbound email in the common JSON shape of inbound-parse services, its signature, and matching
a message to a member (by sender email, a member or invoice number in the text)."""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from html import unescape

from imis_client.models import ImisInvoice, ImisParty

SIGNATURE_HEADER = "X-Inquiry-Signature"
MAX_TEXT = 20_000  # what is kept of one message; the rest is cut, and the cut is said
_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.I | re.S)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h\d)\s*/?>", re.I)
_REFERENCE = re.compile(r"(?<![\w-])(?=[\w-]*\d)[A-Za-z]{0,5}[-#]?\d{4,12}(?![\w-])")


class InboundRejected(ValueError):
    """The message cannot be taken; the text says why (for the sender's service)."""


def sign(body: bytes, *, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, *, secret: str) -> bool:
    """Whether the header is the HMAC-SHA256 of the body under the secret (constant time)."""
    if not secret or not header:
        return False
    given = header.strip()
    if not re.fullmatch(r"sha256=[0-9a-fA-F]{64}", given):
        return False
    return hmac.compare_digest(given.lower(), sign(body, secret=secret))


@dataclass
class Inbound:
    """One inbound email, read from the service's JSON."""

    sender_email: str
    sender_name: str
    to: str
    subject: str
    text: str
    html: str
    attachments: list[str] = field(default_factory=list)
    message_id: str = ""

    @property
    def body(self) -> str:
        """The text the member wrote: the text part, else the HTML part as text."""
        return self.text.strip() or html_to_text(self.html)


def html_to_text(html: str) -> str:
    text = _BREAK.sub("\n", html or "")
    text = unescape(_TAG.sub(" ", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _names(items) -> list[str]:
    names = []
    for entry in items or []:
        name = entry.get("filename") or entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            names.append(name.strip()[:200])
    return names[:50]


def parse(body: bytes) -> Inbound:
    """The service's JSON (from, to, subject, text, html, attachments) as an Inbound."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InboundRejected("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise InboundRejected("The body is not a JSON object.")
    if any("\x00" in str(v) for v in data.values()):
        raise InboundRejected("The message holds a NUL character.")
    sender = data.get("from") or data.get("sender") or ""
    name, address = parseaddr(str(sender))
    if "@" not in address:
        raise InboundRejected("The message names no sender address (from).")
    text, html = str(data.get("text") or ""), str(data.get("html") or "")
    return Inbound(
        sender_email=address.strip().lower()[:254],
        sender_name=name.strip()[:200],
        to=str(data.get("to") or "")[:300],
        subject=" ".join(str(data.get("subject") or "").split())[:300],
        text=text[:MAX_TEXT],
        html=html[: MAX_TEXT * 5],
        attachments=_names(data.get("attachments")),
        # Without the service's message id, the body itself names the delivery: the same
        # email posted twice (a retry after a timeout) is one message.
        message_id=str(data.get("message_id") or data.get("Message-Id") or "")[:200]
        or "sha256:" + hashlib.sha256(body).hexdigest(),
    )


def thread_key(subject: str, sender: str) -> str:
    """Replies and forwards of one subject from one sender are one thread."""
    base = " ".join(_PREFIX.sub("", subject or "").lower().split())
    return hashlib.sha256(f"{base}\n{(sender or '').lower()}".encode()).hexdigest()


@dataclass
class MemberMatch:
    member_id: str = ""
    member_name: str = ""
    how: str = ""  # an Inquiry.Match value; "" when staff must pick
    invoice_id: str = ""
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (id, name) to pick from


def references(text: str) -> list[str]:
    """Tokens that may be a member or invoice number ("INV-5000123", "#100234", "100234")."""
    seen: list[str] = []
    for raw in _REFERENCE.findall(text or ""):
        for token in {raw, re.sub(r"^[A-Za-z]*[-#]?", "", raw)}:
            if token and token not in seen:
                seen.append(token)
    return seen[:40]


def match_member(*, sender_email: str, text: str) -> MemberMatch:
    """The member this message is from: the one party with the sender's email; else an invoice
    or member number in the text; else nobody (staff pick, from any candidates found)."""
    refs = references(text)
    invoices = {
        inv.number: inv
        for inv in ImisInvoice.objects.filter(deleted_at__isnull=True)
        .filter(number__in=refs)
        .only("imis_id", "number", "sold_to_id")
    }
    invoices.update(
        {
            inv.imis_id: inv
            for inv in ImisInvoice.objects.filter(deleted_at__isnull=True, imis_id__in=refs).only(
                "imis_id", "number", "sold_to_id"
            )
        }
    )
    by_email = (
        list(
            ImisParty.objects.filter(email__iexact=sender_email, deleted_at__isnull=True)
            .only("imis_id", "name")
            .order_by("imis_id")[:5]
        )
        if sender_email
        else []
    )
    if len(by_email) == 1:
        party = by_email[0]
        own = next((i for i in invoices.values() if i.sold_to_id == party.imis_id), None)
        return MemberMatch(party.imis_id, party.name, "email", own.imis_id if own else "")
    if by_email:  # a shared address (a family, an office): staff pick, narrowed by any number
        owners = {i.sold_to_id for i in invoices.values()}
        hit = [p for p in by_email if p.imis_id in owners or p.imis_id in refs]
        if len(hit) == 1:
            return MemberMatch(hit[0].imis_id, hit[0].name, "email")
        return MemberMatch(candidates=[(p.imis_id, p.name) for p in by_email])
    if invoices:
        owners = {i.sold_to_id for i in invoices.values()}
        if len(owners) == 1:
            invoice = next(iter(invoices.values()))
            party = ImisParty.objects.filter(imis_id=invoice.sold_to_id).only("name").first()
            return MemberMatch(
                invoice.sold_to_id, party.name if party else "", "invoice_number", invoice.imis_id
            )
    parties = list(
        ImisParty.objects.filter(imis_id__in=refs, deleted_at__isnull=True).only("imis_id", "name")
    )
    if len(parties) == 1:
        return MemberMatch(parties[0].imis_id, parties[0].name, "member_number")
    return MemberMatch(candidates=[(p.imis_id, p.name) for p in parties])
