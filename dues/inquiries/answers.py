"""Grounded answers: facts from the member's own account and the billing calculator, a cited
policy passage, drafted by reviews.drafting under its guardrails (every number traced to a
fact, allowed links only). The words around the figures are chosen by code from the class."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from common.errors import DomainError
from dues.inquiries.account import Account, OpenInvoice
from dues.inquiries.policy_docs import search

PURPOSE = "inquiry_reply"

SUMMARIES = {
    "charge_explanation": "Here is how the charge you asked about is worked out.",
    "payment_status": "Here is where your account stands.",
    "dispute": "Our finance team is checking the charge you describe and will confirm what "
    "they find.",
    "plan_request": "Our finance team is preparing a payment plan offer for you.",
    "contact_update": "A member of staff is updating your contact details.",
    "cancellation": "Our finance team is working out any refund due under the policy and "
    "will confirm it.",
    "other": "",
}
# Classes the records alone can answer; the others need a person's action first.
GROUNDABLE = ("charge_explanation", "payment_status", "other")


@dataclass
class Grounding:
    invoice: OpenInvoice | None
    facts: dict = field(default_factory=dict)  # name -> (value, source)
    citations: list[str] = field(default_factory=list)
    grounded: bool = False


def working_days_after(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def reply_by() -> date:
    return working_days_after(timezone.localdate(), settings.INQUIRY_REPLY_WORKING_DAYS)


def invoice_asked_about(account: Account, text: str, category: str) -> OpenInvoice | None:
    """The member's own invoice the text names; else, for a charge question, the one with a
    breakdown (a prorated one first when proration is asked about); else the latest."""
    if not account.invoices:
        return None
    words = set(re.findall(r"[A-Za-z0-9-]+", text or ""))
    for inv in account.invoices:
        if inv.invoice.number in words or inv.invoice.imis_id in words:
            return inv
    if category == "charge_explanation":
        if re.search(r"(?i)pro-?rat|part(?:ial)? (?:of the )?year", text or ""):
            prorated = [i for i in account.invoices if i.prorated]
            if prorated:
                return prorated[0]
        explained = [i for i in account.invoices if i.steps]
        if explained:
            return explained[0]
    return account.invoices[0]


def ground(account: Account, *, text: str, category: str) -> Grounding:
    """The facts an answer may state, each with its source, and whether they answer it."""
    invoice = invoice_asked_about(account, text, category)
    out = Grounding(invoice)
    summary = SUMMARIES.get(category, "")
    if summary:
        out.facts["answer_summary"] = (summary, f"dues.inquiries answer for {category}")
    if category == "charge_explanation" and invoice is not None and invoice.steps:
        out.facts["charge_breakdown"] = (
            "\n".join(f"- {s}" for s in invoice.steps),
            f"dues.billing calculator breakdown of invoice {invoice.invoice.imis_id}",
        )
        out.citations.append(f"calculator breakdown of invoice {invoice.invoice.number}")
        out.grounded = True
    if category == "payment_status" and (account.payments or account.invoices):
        out.grounded = True
    passages = search(text) if category in GROUNDABLE else []
    if passages:
        best = passages[0]
        out.facts["policy_passage"] = (
            best.text,
            f"policy document {best.document_id} passage {best.position}",
        )
        where = best.document.title + (f", “{best.heading}”" if best.heading else "")
        out.facts["policy_source"] = (where, f"policy document {best.document_id} title")
        out.citations.append(f"{where} (passage {best.position})")
        out.grounded = out.grounded or category == "other"
    if category not in GROUNDABLE or not out.grounded:
        out.facts["reply_by"] = (reply_by(), f"INQUIRY_REPLY_WORKING_DAYS from {date.today()}")
    return out


def draft_reply(*, member_id: str, text: str, grounding: Grounding) -> dict:
    """The reply, drafted from the approved inquiry template; the member's words go in as
    untrusted data only. Returns the draft's payload (flags included)."""
    from reviews.drafting import draft_message

    facts = dict(grounding.facts)
    facts["inquiry_text"] = (text[:4000], "untrusted: member inquiry")
    invoice_id = grounding.invoice.invoice.imis_id if grounding.invoice else ""
    try:
        draft = draft_message(
            purpose=PURPOSE, member_id=member_id, invoice_id=invoice_id, extra_facts=facts
        )
    except DomainError:
        raise
    return draft.as_payload()
