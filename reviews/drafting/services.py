"""Writes of the template library and the guardrail rules; each change is audited."""

from django.db import transaction
from django.db.models import Max

from common.audit import audit_record
from common.errors import DomainError
from reviews.drafting.purposes import PURPOSES, get_purpose
from reviews.drafting.templates import validate_template
from reviews.models import GuardrailRule, MessageTemplate, MessageTemplateVersion


@transaction.atomic
def template_version_create(
    *, template_id: int, user, subject: str, body: str, note: str = ""
) -> MessageTemplateVersion:
    """Save an edit as the template's next version; drafts from now on use it."""
    template = MessageTemplate.objects.select_for_update().get(pk=template_id)
    subject = subject.replace("\r\n", "\n").strip()
    body = body.replace("\r\n", "\n").strip()
    validate_template(
        purpose=template.purpose, channel=template.channel, subject=subject, body=body
    )
    current = template.current
    if current is not None and (current.subject, current.body) == (subject, body):
        raise DomainError(
            "Nothing was changed; the current version already says this.", code="unchanged"
        )
    number = (template.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    version = MessageTemplateVersion(
        template=template,
        version=number,
        subject=subject,
        body=body,
        note=note.strip()[:300],
        created_by=user,
    )
    version.full_clean()
    version.save()
    template.save(update_fields=["updated_at"])
    audit_record(
        action="drafting.template_saved",
        summary=f"{get_purpose(template.purpose).label} ({template.channel}): version {number}",
        actor=user,
        object_type="message_template",
        object_id=template.pk,
        data={
            "version": number,
            "previous": current.version if current else None,
            "note": version.note,
        },
    )
    return version


def _clean_rule(kind: str, phrase: str, severity: str, purposes: list[str]) -> tuple[str, list]:
    phrase = " ".join(phrase.split())
    if kind not in GuardrailRule.Kind.values:
        raise DomainError("Choose a kind of rule: prohibited term, tone rule or link domain.")
    if severity not in GuardrailRule.Severity.values:
        raise DomainError("Choose whether the rule blocks approval or only warns.")
    if len(phrase) < 2:
        raise DomainError("Write the word, phrase or domain the rule is about.")
    if kind == GuardrailRule.Kind.DOMAIN:
        phrase = phrase.lower().removeprefix("https://").removeprefix("http://").strip("/")
        if " " in phrase or "." not in phrase or "/" in phrase:
            raise DomainError(
                f"“{phrase}” is not a domain name; write it like members.example.org."
            )
    unknown = [p for p in purposes if p not in PURPOSES]
    if unknown:
        raise DomainError(f"Unknown purpose: {', '.join(unknown)}.")
    return phrase, purposes


@transaction.atomic
def guardrail_rule_create(
    *,
    user,
    kind: str,
    phrase: str,
    severity: str = "block",
    message: str = "",
    purposes: list[str] | None = None,
) -> GuardrailRule:
    """Add a prohibited term, a tone rule or an allowed link domain."""
    phrase, purposes = _clean_rule(kind, phrase, severity, list(purposes or []))
    existing = GuardrailRule.objects.filter(kind=kind, phrase__iexact=phrase).first()
    if existing is not None:
        state = "active" if existing.is_active else "switched off"
        raise DomainError(f"A rule for “{phrase}” already exists ({state}); change that one.")
    rule = GuardrailRule(
        kind=kind,
        phrase=phrase,
        severity=severity,
        message=message.strip(),
        purposes=purposes,
        updated_by=user,
    )
    rule.full_clean()
    rule.save()
    audit_record(
        action="drafting.rule_added",
        summary=f"{rule.get_kind_display()} “{phrase}” added",
        actor=user,
        object_type="guardrail_rule",
        object_id=rule.pk,
        data={"kind": kind, "phrase": phrase, "severity": severity, "purposes": purposes},
    )
    return rule


@transaction.atomic
def guardrail_rule_update(
    *, rule_id: int, user, is_active: bool, severity: str, message: str
) -> GuardrailRule:
    """Switch a rule on or off, or change how strict it is and what it says."""
    rule = GuardrailRule.objects.select_for_update().get(pk=rule_id)
    if severity not in GuardrailRule.Severity.values:
        raise DomainError("Choose whether the rule blocks approval or only warns.")
    before = {"is_active": rule.is_active, "severity": rule.severity, "message": rule.message}
    rule.is_active, rule.severity, rule.message = is_active, severity, message.strip()[:300]
    after = {"is_active": rule.is_active, "severity": rule.severity, "message": rule.message}
    if before == after:
        raise DomainError("Nothing was changed.", code="unchanged")
    rule.updated_by = user
    rule.full_clean()
    rule.save()
    audit_record(
        action="drafting.rule_changed",
        summary=f"{rule.get_kind_display()} “{rule.phrase}”: "
        + ("on" if rule.is_active else "off")
        + f", {rule.get_severity_display().lower()}",
        actor=user,
        object_type="guardrail_rule",
        object_id=rule.pk,
        data={"before": before, "after": after},
    )
    return rule
