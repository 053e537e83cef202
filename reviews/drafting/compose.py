"""Making a draft: facts → approved template → (optionally) a model within it → required
elements → guardrails → a record of how it was made."""

import json
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings

from common.errors import DomainError
from reviews.drafting import elements, guardrails, llm, render
from reviews.drafting.fact import CONTROL_FACTS, Fact
from reviews.drafting.facts import build_facts, facts_batch
from reviews.drafting.pii import Masker
from reviews.drafting.prompts import get_prompt
from reviews.drafting.purposes import get_purpose
from reviews.drafting.templates import current_version

PROMPT_NAME = "draft_message"


@dataclass
class Draft:
    """A drafted message with its facts, its flags and how it was made."""

    purpose: str
    channel: str
    subject: str
    body: str
    facts: list[dict] = field(default_factory=list)  # {name, value, source, kind, trusted, ...}
    flags: list[dict] = field(default_factory=list)  # {code, severity, message, start, end, field}
    template: str = ""
    template_version: int | None = None
    prompt_version: str = ""
    model: str = ""
    latency_ms: int | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    fallback_reason: str = ""
    auto: bool = False
    member_id: str = ""
    invoice_id: str = ""
    facts_used: list[str] = field(default_factory=list)
    record_id: int | None = None

    @property
    def blocking(self) -> bool:
        return any(f["severity"] == guardrails.BLOCK for f in self.flags)

    @property
    def drafted_by(self) -> str:
        """Who wrote the words: the template, or the model."""
        return "model" if self.model and not self.fallback_reason else "template"

    def as_payload(self) -> dict:
        """JSON-safe, for a review item's payload["draft"]. Inside ``drafts_batch`` the record
        id is filled in when the batch's records are written, at its end."""
        payload = {
            "purpose": self.purpose,
            "channel": self.channel,
            "subject": self.subject,
            "body": self.body,
            "facts": self.facts,
            "flags": self.flags,
            "blocking": self.blocking,
            "template": self.template,
            "template_version": self.template_version,
            "prompt_version": self.prompt_version,
            "model": self.model,
            "latency_ms": self.latency_ms,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "fallback_reason": self.fallback_reason,
            "auto": self.auto,
            "member_id": self.member_id,
            "invoice_id": self.invoice_id,
            "facts_used": self.facts_used,
            "drafted_by": self.drafted_by,
            "record_id": self.record_id,
        }
        batch = _drafts.get()
        if batch is not None and self.record_id is None and id(self) in batch.waiting:
            batch.waiting[id(self)].append(payload)
        return payload


@dataclass
class _DraftsBatch:
    versions: dict = field(default_factory=dict)  # (purpose, channel) -> template version
    records: list = field(default_factory=list)  # (Draft, unsaved DraftRecord)
    waiting: dict = field(default_factory=dict)  # id(Draft) -> its payloads, for the record id


_drafts: ContextVar[_DraftsBatch | None] = ContextVar("drafting_batch", default=None)


@contextmanager
def drafts_batch(pairs: list[tuple[str, str]]):
    """Draft many messages (for these (member_id, invoice_id) pairs) with a few queries in all:
    facts read for every pair at once, each template version and the guardrail rules read once,
    the drafts' records written together when the block ends (a payload taken inside it gets
    its record id then). Each draft is the same as one drafted alone."""
    batch = _DraftsBatch()
    with guardrails.rules_batch(), facts_batch(pairs):
        token = _drafts.set(batch)
        try:
            yield
        finally:
            _drafts.reset(token)
    if batch.records:
        from reviews.models import DraftRecord

        DraftRecord.objects.bulk_create([record for _, record in batch.records])
        for draft, record in batch.records:
            draft.record_id = record.pk
            for payload in batch.waiting.pop(id(draft), []):
                payload["record_id"] = record.pk


def _current_version(purpose: str, channel: str):
    batch = _drafts.get()
    if batch is None:
        return current_version(purpose, channel)
    if (purpose, channel) not in batch.versions:
        batch.versions[purpose, channel] = current_version(purpose, channel)
    return batch.versions[purpose, channel]


def _render_template(version, facts: dict[str, Fact]) -> tuple[str, str]:
    subject = render.render(render.parse(version.subject), facts).text.strip()
    body = render.render(render.parse(version.body), facts).text.strip()
    return subject, body


def _facts_block(facts: dict[str, Fact], masker: Masker) -> str:
    rows = [
        {"name": f.name, "shown": masker.mask(f.display())}
        for f in facts.values()
        if f.trusted and f.name not in CONTROL_FACTS and f.value not in (None, "")
    ]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def _untrusted_block(facts: dict[str, Fact], masker: Masker) -> str:
    parts = []
    for fact in facts.values():
        if not fact.trusted and fact.value:
            # json.dumps quotes the text, so it stays one string of data however it is written;
            # < and > as JSON escapes, so the text cannot close the block (</untrusted_data>)
            # or open another tag: the model reads the same characters, the markup sees none.
            quoted = (
                json.dumps(masker.mask(str(fact.value)), ensure_ascii=False)
                .replace("<", "\\u003c")
                .replace(">", "\\u003e")
            )
            parts.append(f'<untrusted_data name="{fact.name}">\n{quoted}\n</untrusted_data>')
    return "\n".join(parts)


def _prompt_messages(*, spec, channel, facts, masker, template_subject, template_body):
    prompt = get_prompt(PROMPT_NAME)
    # The approved draft goes out with personal data already replaced.
    masked_subject, masked_body = masker.mask(template_subject), masker.mask(template_body)
    messages = prompt.messages(
        purpose=spec.name,
        purpose_label=spec.label,
        channel=channel,
        facts=_facts_block(facts, masker),
        subject=masked_subject or "(none: SMS)",
        body=masked_body,
        untrusted=_untrusted_block(facts, masker),
        sms_limit=elements.SMS_LIMIT - 60,
        subject_limit=elements.EMAIL_SUBJECT_LIMIT,
    )
    return prompt, messages


def compose(
    *,
    purpose: str,
    member_id: str,
    channel: str = "email",
    invoice_id: str = "",
    extra_facts: dict | None = None,
    auto: bool = False,
    model: str | None = None,
    template_override: tuple[str, str] | None = None,
    record: bool = True,
) -> Draft:
    started_at = time.monotonic()
    spec = get_purpose(purpose)
    if channel not in spec.channels:
        raise DomainError(
            f"{spec.label} is sent by {' or '.join(spec.channels)}, not {channel}.", code="channel"
        )
    version = _current_version(purpose, channel)
    ctx = build_facts(
        purpose=spec, member_id=member_id, invoice_id=invoice_id, extra_facts=extra_facts
    )
    facts = ctx.facts
    if template_override is not None:
        subject_text, body_text = template_override
        subject = render.render(render.parse(subject_text), facts).text.strip()
        body = render.render(render.parse(body_text), facts).text.strip()
    else:
        subject, body = _render_template(version, facts)
    association = facts["association_name"].display()
    needed = elements.required_elements(
        purpose=spec, channel=channel, auto=auto, association=association
    )
    draft = Draft(
        purpose=purpose,
        channel=channel,
        subject=subject if channel == "email" else "",
        body=body,
        facts=[f.as_dict() for f in facts.values()],
        template=f"{purpose}/{channel}",
        template_version=None if template_override else version.version,
        auto=auto,
        member_id=member_id,
        invoice_id=invoice_id,
    )
    masked_prompt: list = []
    masked_response = ""
    model_name = llm.configured_model(model)
    if model_name and template_override is None:
        masker = Masker.for_member(ctx.pii)
        draft.model = model_name
        prompt, messages = _prompt_messages(
            spec=spec,
            channel=channel,
            facts=facts,
            masker=masker,
            template_subject=draft.subject,
            template_body=draft.body,
        )
        started = time.monotonic()
        try:
            answer = llm.ask_for_draft(messages, model=model_name)
        except llm.ModelFailure as exc:
            draft.fallback_reason = f"Drafted from the template: {exc}."
            draft.latency_ms = int((time.monotonic() - started) * 1000)
        else:
            masked_response = answer.raw_text
            draft.latency_ms, draft.tokens_in = answer.latency_ms, answer.tokens_in
            draft.tokens_out = answer.tokens_out
            draft.facts_used = [str(n) for n in answer.output.facts_used][:50]
            draft.body = masker.restore(answer.output.body).strip()
            if channel == "email":
                draft.subject = masker.restore(answer.output.subject).strip() or draft.subject
        draft.prompt_version = prompt.label
        masked_prompt = [{"role": role, "content": text} for role, text in messages]
    if draft.latency_ms is None:  # a template draft: the time it took to read facts and render
        draft.latency_ms = int((time.monotonic() - started_at) * 1000)
    draft.body = elements.append_elements(draft.body, needed, channel)
    draft.flags = guardrails.check(
        purpose=spec,
        channel=channel,
        subject=draft.subject,
        body=draft.body,
        facts=list(facts.values()),
        auto=auto,
        problems=ctx.problems,
    )
    if record:
        row = _record(draft, version, masked_prompt, masked_response)
        batch = _drafts.get()
        if batch is None:
            row.save(force_insert=True)
            draft.record_id = row.pk
        else:
            batch.records.append((draft, row))
            batch.waiting[id(draft)] = []
    return draft


def _record(draft: Draft, version, masked_prompt: list, masked_response: str):
    from reviews.models import DraftRecord

    return DraftRecord(
        purpose=draft.purpose,
        channel=draft.channel,
        member_id=draft.member_id,
        invoice_id=draft.invoice_id,
        template_version=version,
        template=draft.template,
        prompt_version=draft.prompt_version,
        model=draft.model,
        latency_ms=draft.latency_ms,
        tokens_in=draft.tokens_in,
        tokens_out=draft.tokens_out,
        fallback_reason=draft.fallback_reason[:300],
        masked_prompt=masked_prompt,
        masked_response=masked_response,
        flags=draft.flags,
        blocking=draft.blocking,
        auto=draft.auto,
    )


def check_payload(payload_draft: dict) -> list[dict]:
    """Guardrails again over a draft as stored in a review item (after a person's edit)."""
    spec = get_purpose(str(payload_draft.get("purpose", "")))
    channel = str(payload_draft.get("channel", "email"))
    facts = [Fact.from_dict(f) for f in payload_draft.get("facts") or []]
    # Facts that could not be read when it was drafted stay unread whatever the text says now:
    # their blocking flags are carried, not dropped by the re-check.
    problems = [
        str(f.get("message", ""))
        for f in payload_draft.get("flags") or []
        if isinstance(f, dict) and f.get("code") == "facts_unavailable"
    ]
    return guardrails.check(
        purpose=spec,
        channel=channel,
        subject=str(payload_draft.get("subject") or ""),
        body=str(payload_draft.get("body") or ""),
        facts=facts,
        auto=bool(payload_draft.get("auto")),
        problems=problems,
    )


def mark_auto(payload_draft: dict) -> dict:
    """The same draft, labelled as sent under an Auto policy, with its flags re-checked."""
    spec = get_purpose(str(payload_draft.get("purpose", "")))
    channel = str(payload_draft.get("channel", "email"))
    facts = {f["name"]: f for f in payload_draft.get("facts") or []}
    association = (facts.get("association_name") or {}).get(
        "value", settings.DRAFTING_ASSOCIATION_NAME
    )
    needed = elements.required_elements(
        purpose=spec, channel=channel, auto=True, association=association
    )
    marked = {**payload_draft, "auto": True}
    marked["body"] = elements.append_elements(str(marked.get("body") or ""), needed, channel)
    marked["flags"] = check_payload(marked)
    marked["blocking"] = any(f["severity"] == guardrails.BLOCK for f in marked["flags"])
    return marked


def _samples(today) -> dict:
    from datetime import timedelta
    from decimal import Decimal

    sample = "sample value for the preview"
    return {
        "offer_percent": (Decimal("10"), sample),
        "offer_deadline": (today + timedelta(days=14), sample),
        "staff_name": ("Jordan Lee", sample),
        "plan_installments": (3, sample),
        "plan_installment_amount": (Decimal("81.67"), sample),
        "plan_first_due": (today + timedelta(days=7), sample),
        "full_amount": (Decimal("245.00"), sample),
        "prorated_amount": (Decimal("163.33"), sample),
        "months_charged": (8, sample),
        "term_start": (today - timedelta(days=30), sample),
        "term_end": (today + timedelta(days=215), sample),
        "credit_amount": (Decimal("25.00"), sample),
        "credit_reason": ("a duplicate event registration fee", sample),
        "credit_date": (today, sample),
        "new_balance": (Decimal("0.00"), sample),
        "inquiry_text": ("Why is my invoice higher than last year?", "untrusted: " + sample),
        "answer_summary": ("Here is how your charge is worked out.", sample),
        "charge_breakdown": ("- Full annual dues for your membership type.", sample),
        "policy_passage": ("Dues are payable on the first day of the membership year.", sample),
        "policy_source": ("dues policy", sample),
        "reply_by": (today + timedelta(days=2), sample),
    }


def preview(
    *, purpose: str, channel: str, subject: str, body: str, member_id: str, invoice_id: str = ""
) -> Draft:
    """The draft a template text would give for one member, with sample values for the facts
    that other apps supply; no model, nothing recorded."""
    from django.utils import timezone

    spec = get_purpose(purpose)
    extra = {k: v for k, v in _samples(timezone.localdate()).items() if k in spec.expected}
    return compose(
        purpose=purpose,
        member_id=member_id,
        channel=channel,
        invoice_id=invoice_id,
        extra_facts=extra,
        template_override=(subject, body),
        record=False,
    )
