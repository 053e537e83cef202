"""The checks every draft passes, from a template, a model or a person's edit.

Each problem is a flag {code, severity, message, start, end, field}: "block" flags stop approval
until the text is edited; start/end point at the text concerned (None when it is about the
whole message).
"""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

from reviews.drafting import elements
from reviews.drafting.fact import CONTROL_FACTS, Fact
from reviews.drafting.pii import EMAIL_RE, PHONE_RE, PLACEHOLDER_RE, scan
from reviews.drafting.purposes import Purpose
from reviews.drafting.trace import trace, url_spans

BLOCK, WARN = "block", "warn"
GAP_RE = re.compile(r"\[([a-z][a-z0-9_]*)\]")
UNTRUSTED_WINDOW = 5  # words in a row copied from untrusted text
NAME_RE = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")
KIND_WORDS = {
    "money": "amount",
    "date": "date",
    "percent": "percentage",
    "count": "number",
    "reference": "reference",
}


_batch_active: ContextVar[bool] = ContextVar("drafting_rules_batch", default=False)
_batch_rules: ContextVar["Rules | None"] = ContextVar("drafting_rules", default=None)


@contextmanager
def rules_batch():
    """Draft many messages with one read of the guardrail rules. A rule changed during the
    batch applies from the next batch on; approval re-checks outside any batch, with fresh rules.
    Inside an outer batch, the outer batch's read serves."""
    if _batch_active.get():
        yield
        return
    active, cached = _batch_active.set(True), _batch_rules.set(None)
    try:
        yield
    finally:
        _batch_rules.reset(cached)
        _batch_active.reset(active)


@dataclass
class Rules:
    """Managers' rules: prohibited terms and tone rules, and the domains links may use."""

    phrases: list[dict] = field(default_factory=list)  # {kind, phrase, severity, message, purposes}
    domains: list[str] = field(default_factory=list)

    @classmethod
    def load(cls) -> "Rules":
        """The active rules; inside ``rules_batch()`` read once and shared by the batch's drafts."""
        cached = _batch_rules.get()
        if cached is not None:
            return cached
        rules = cls._read()
        if _batch_active.get():
            _batch_rules.set(rules)
        return rules

    @classmethod
    def _read(cls) -> "Rules":
        from reviews.models import GuardrailRule

        rules = cls()
        for rule in GuardrailRule.objects.filter(is_active=True):
            if rule.kind == GuardrailRule.Kind.DOMAIN:
                rules.domains.append(rule.phrase.lower().strip())
            else:
                rules.phrases.append(
                    {
                        "kind": rule.kind,
                        "phrase": rule.phrase,
                        "severity": rule.severity,
                        "message": rule.message,
                        "purposes": rule.purposes or [],
                    }
                )
        return rules

    def allowed_domains(self) -> set[str]:
        own = {urlsplit(settings.DRAFTING_PORTAL_URL).hostname or ""}
        own.add(settings.DRAFTING_CONTACT_EMAIL.rpartition("@")[2].lower())
        return {d for d in own | set(self.domains) if d}


def _flag(code, severity, message, start=None, end=None, where="body") -> dict:
    return {
        "code": code,
        "severity": severity,
        "message": message,
        "start": start,
        "end": end,
        "field": where,
    }


def check(
    *,
    purpose: Purpose,
    channel: str,
    subject: str,
    body: str,
    facts: list[Fact],
    auto: bool,
    rules: Rules | None = None,
    problems: list[str] | None = None,
) -> list[dict]:
    """All flags of one draft, the blocking ones first, each in text order."""
    rules = rules if rules is not None else Rules.load()
    by_name = {f.name: f for f in facts}
    flags: list[dict] = [_flag("facts_unavailable", BLOCK, p) for p in problems or []]
    notice = by_name.get("pending_payment_notice")
    if purpose.reminder and notice is not None and notice.value:
        flags.append(
            _flag(
                "pending_payment",
                BLOCK,
                f"A payment on this invoice is pending: {notice.value} ({notice.source}). Do not "
                "send a reminder until it clears or fails; reject this draft or wait.",
            )
        )
    flags += _length_flags(channel, subject, body)
    association = by_name.get("association_name")
    needed = elements.required_elements(
        purpose=purpose,
        channel=channel,
        auto=auto,
        association=association.display() if association else "",
    )
    for element in needed:
        if element.text not in body:
            flags.append(
                _flag(
                    "missing_element",
                    BLOCK,
                    f"The {element.label} line is missing; add it as: “{element.text}”",
                )
            )
    mentioned: set[str] = set()
    texts = [("body", body)] + ([("subject", subject)] if channel == "email" else [])
    for where, text in texts:
        flags += _text_flags(where, text, facts, purpose, rules, mentioned)
    for name in purpose.required:
        fact = by_name.get(name)
        if fact is None or fact.value in (None, ""):
            flags.append(
                _flag(
                    "missing_fact",
                    BLOCK,
                    f"No fact gives the {name.replace('_', ' ')}, which this message "
                    "must state; check the member and invoice.",
                )
            )
        elif name not in mentioned:
            flags.append(
                _flag(
                    "required_fact",
                    BLOCK,
                    f"The message must state the {name.replace('_', ' ')} ({fact.display()}).",
                )
            )
    # Blocking first; within each, flags about the whole message, then the subject, then the body.
    return sorted(
        flags,
        key=lambda f: (
            f["severity"] != BLOCK,
            f["start"] is not None,
            f["field"] != "subject",
            f["start"] or 0,
        ),
    )


def _length_flags(channel: str, subject: str, body: str) -> list[dict]:
    flags = []
    if channel == "sms":
        if len(body) > elements.SMS_LIMIT:
            flags.append(
                _flag(
                    "too_long",
                    BLOCK,
                    f"{len(body)} characters: an SMS may have at most "
                    f"{elements.SMS_LIMIT}; shorten it.",
                    elements.SMS_LIMIT,
                    len(body),
                )
            )
        return flags
    if not subject.strip():
        flags.append(_flag("no_subject", BLOCK, "An email needs a subject.", where="subject"))
    elif len(subject) > elements.EMAIL_SUBJECT_LIMIT:
        flags.append(
            _flag(
                "too_long",
                BLOCK,
                f"The subject has {len(subject)} characters; keep it to "
                f"{elements.EMAIL_SUBJECT_LIMIT}.",
                elements.EMAIL_SUBJECT_LIMIT,
                len(subject),
                "subject",
            )
        )
    if len(body) > elements.EMAIL_BODY_LIMIT:
        flags.append(
            _flag(
                "too_long",
                BLOCK,
                f"{len(body)} characters: keep an email to {elements.EMAIL_BODY_LIMIT}.",
                elements.EMAIL_BODY_LIMIT,
                len(body),
            )
        )
    if not body.strip():
        flags.append(_flag("empty", BLOCK, "The message has no text."))
    return flags


def _text_flags(where, text, facts, purpose, rules, mentioned: set[str]) -> list[dict]:
    flags: list[dict] = []
    values = {str(f.value).strip().lower() for f in facts if f.trusted and f.value}
    for match in GAP_RE.finditer(text):
        flags.append(
            _flag(
                "gap",
                BLOCK,
                f"No fact gives “{match.group(1)}”; write it in, or reject the draft.",
                match.start(),
                match.end(),
                where,
            )
        )
    for match in PLACEHOLDER_RE.finditer(text):
        flags.append(
            _flag(
                "placeholder",
                BLOCK,
                "A masked value was left in the text; write the words instead.",
                match.start(),
                match.end(),
                where,
            )
        )
    flags += untraced_flags(where, text, facts, mentioned)
    allowed = rules.allowed_domains()
    for start, end in url_spans(text):
        link = text[start:end]
        host = (urlsplit(link if "//" in link else f"//{link}").hostname or "").lower()
        if not any(host == d or host.endswith("." + d) for d in allowed):
            flags.append(
                _flag(
                    "link",
                    BLOCK,
                    f"Links may only point to {', '.join(sorted(allowed))}; "
                    f"“{host}” is not on the allowlist.",
                    start,
                    end,
                    where,
                )
            )
    for match in EMAIL_RE.finditer(text):
        if match.group().lower() not in values:
            flags.append(
                _flag(
                    "unknown_email",
                    BLOCK,
                    "This email address is not one of the draft's facts; it may be someone else's.",
                    match.start(),
                    match.end(),
                    where,
                )
            )
    for found in scan(text):
        if found.kind in ("CARD", "BANK"):
            flags.append(
                _flag(
                    "sensitive_number",
                    BLOCK,
                    "A card or bank account number must never be in a message.",
                    found.start,
                    found.end,
                    where,
                )
            )
    for match in PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 10 and not any(re.sub(r"\D", "", v) == digits for v in values):
            flags.append(
                _flag(
                    "unknown_phone",
                    BLOCK,
                    "This phone number is not one of the draft's facts.",
                    match.start(),
                    match.end(),
                    where,
                )
            )
    flags += _phrase_flags(where, text, purpose, rules)
    flags += _untrusted_flags(where, text, facts)
    return flags


def untraced_flags(
    where: str, text: str, facts: list[Fact], mentioned: set[str] | None = None
) -> list[dict]:
    """A flag for every amount, date, percentage, count or reference in ``text`` that no trusted
    fact gives (a draft's, or any other text written around given figures, such as the board
    pack's summary); ``mentioned`` collects the facts that were stated."""
    flags = []
    for token in trace(text, [f for f in facts if f.name not in CONTROL_FACTS]):
        if token.traced_to:
            if mentioned is not None:
                mentioned.update(token.traced_to)
            continue
        word = KIND_WORDS[token.kind]
        severity = WARN if token.kind == "reference" else BLOCK
        flags.append(
            _flag(
                f"untraced_{word}",
                severity,
                f"“{token.text}”: no fact in this draft's context gives this {word}; "
                "use the fact's value or remove it.",
                token.start,
                token.end,
                where,
            )
        )
    return flags


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern | None:
    """A rule's phrase as a pattern, its words apart by any space (compiled once per phrase:
    every draft of a batch checks every rule)."""
    words = [re.escape(w) for w in phrase.split()]
    if not words:
        return None
    return re.compile(r"(?i)(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def _phrase_flags(where, text, purpose, rules) -> list[dict]:
    flags = []
    for rule in rules.phrases:
        if rule["purposes"] and purpose.name not in rule["purposes"]:
            continue
        pattern = _phrase_pattern(rule["phrase"])
        if pattern is None:
            continue
        label = "Prohibited term" if rule["kind"] == "prohibited" else "Tone"
        for match in pattern.finditer(text):
            flags.append(
                _flag(
                    "prohibited_term" if rule["kind"] == "prohibited" else "tone",
                    rule["severity"],
                    f"{label}: “{match.group()}”. {rule['message']}".strip(),
                    match.start(),
                    match.end(),
                    where,
                )
            )
    for match in re.finditer(r"!{2,}", text):
        flags.append(
            _flag(
                "tone",
                WARN,
                "Tone: more than one exclamation mark reads as shouting.",
                match.start(),
                match.end(),
                where,
            )
        )
    shouting = [
        m
        for m in re.finditer(r"\b[A-Z]{4,}\b", text)
        if m.group() not in {"STOP", "UNSUBSCRIBE", "USD"}
    ]
    if len(shouting) >= 2:
        flags.append(
            _flag(
                "tone",
                WARN,
                "Tone: words in capitals read as shouting.",
                shouting[0].start(),
                shouting[-1].end(),
                where,
            )
        )
    return flags


WORD_RE = re.compile(r"[\w'\u2019$%.,-]*\w")


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def _untrusted_flags(where, text, facts) -> list[dict]:
    flags = []
    words = _words(text)
    for fact in facts:
        if fact.trusted or not isinstance(fact.value, str) or not fact.value.strip():
            continue
        source = [w for w, _, _ in _words(fact.value)]
        shingles = {
            tuple(source[i : i + UNTRUSTED_WINDOW])
            for i in range(len(source) - UNTRUSTED_WINDOW + 1)
        }
        spans: list[list[int]] = []
        for i in range(len(words) - UNTRUSTED_WINDOW + 1):
            window = tuple(w for w, _, _ in words[i : i + UNTRUSTED_WINDOW])
            if window in shingles:
                start, end = words[i][1], words[i + UNTRUSTED_WINDOW - 1][2]
                if spans and start <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], end)
                else:
                    spans.append([start, end])
        for start, end in spans:
            flags.append(
                _flag(
                    "untrusted_text",
                    BLOCK,
                    f"Copied from untrusted text ({fact.name}, {fact.source}): a "
                    "member's or payer's words are data, never part of our message.",
                    start,
                    end,
                    where,
                )
            )
        # Someone named in what a member wrote is not someone a message may talk about.
        known = " ".join(str(f.value) for f in facts if f.trusted and f.value).lower()
        for name in set(NAME_RE.findall(fact.value)):
            if name.lower() in known:
                continue
            for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
                if any(s <= match.start() < e for s, e in spans):
                    continue
                flags.append(
                    _flag(
                        "untrusted_name",
                        BLOCK,
                        f"“{name}” is named only in untrusted text ({fact.name}); a "
                        "message never tells anything about other people.",
                        match.start(),
                        match.end(),
                        where,
                    )
                )
    return flags
