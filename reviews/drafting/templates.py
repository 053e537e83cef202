"""The template library: the current version of each purpose and channel, checks on a template's
text before it is saved, and the shipped default set."""

import tomllib
from pathlib import Path

from common.errors import DomainError
from reviews.drafting import render
from reviews.drafting.fact import CONTROL_FACTS, is_untrusted
from reviews.drafting.purposes import PURPOSE_SPECS, get_purpose

DEFAULTS = Path(__file__).resolve().parent / "defaults" / "templates.toml"


def default_templates() -> list[dict]:
    with DEFAULTS.open("rb") as fh:
        return tomllib.load(fh)["template"]


def current_version(purpose: str, channel: str):
    from reviews.models import MessageTemplateVersion

    version = (
        MessageTemplateVersion.objects.filter(template__purpose=purpose, template__channel=channel)
        .select_related("template")
        .order_by("-version")
        .first()
    )
    if version is None:
        spec = get_purpose(purpose)
        raise DomainError(
            f"There is no {channel} template for {spec.label}; a manager can add one on the "
            "Templates page.",
            code="no_template",
        )
    return version


def validate_template(*, purpose: str, channel: str, subject: str, body: str) -> None:
    """Refuse a template that could not be filled from facts alone, saying what to fix."""
    from reviews.drafting.trace import trace

    spec = get_purpose(purpose)
    if channel not in spec.channels:
        raise DomainError(f"{spec.label} is not sent by {channel}.")
    if not body.strip():
        raise DomainError("The template needs a body.")
    if channel == "email" and not subject.strip():
        raise DomainError("An email template needs a subject.")
    allowed = set(spec.allowed_facts)
    for label, text in (("subject", subject), ("body", body)):
        try:
            nodes = render.parse(text)
        except render.TemplateSyntaxError as exc:
            raise DomainError(f"In the {label}: {exc}") from None
        untrusted = sorted(
            n for n in render.names(nodes) if is_untrusted(n, "") or n in CONTROL_FACTS
        )
        if untrusted:
            raise DomainError(
                f"In the {label}: {', '.join(untrusted)} is untrusted text or a control fact; a "
                "template may not repeat it."
            )
        unknown = sorted(render.names(nodes) - allowed)
        if unknown:
            raise DomainError(
                f"In the {label}: {', '.join('{{ ' + n + ' }}' for n in unknown)} is not a fact "
                f"of {spec.label}. Available: {', '.join(sorted(allowed))}."
            )
        literal = render.literal_text(nodes)
        numbers = [t.text for t in trace(literal, []) if t.kind != "reference"]
        if numbers:
            raise DomainError(
                f"In the {label}: “{numbers[0]}” is written as literal text. Write amounts, "
                "dates, percentages and counts as placeholders bound to facts "
                "(e.g. {{ amount_due }})."
            )


def seed_default_templates() -> int:
    """Load the shipped templates for every purpose and channel that has none yet."""
    from reviews.models import MessageTemplate, MessageTemplateVersion

    created = 0
    for row in default_templates():
        if row["purpose"] not in PURPOSE_SPECS:
            continue
        template, _ = MessageTemplate.objects.get_or_create(
            purpose=row["purpose"], channel=row["channel"]
        )
        if not template.versions.exists():
            MessageTemplateVersion.objects.create(
                template=template,
                version=1,
                subject=row["subject"].strip(),
                body=row["body"].strip(),
                note="Shipped default",
            )
            created += 1
    return created


GUARDRAIL_DEFAULTS = Path(__file__).resolve().parent / "defaults" / "guardrails.toml"


def seed_default_rules() -> int:
    """Load the shipped guardrail rules that were never added (a switched-off one stays off)."""
    from reviews.models import GuardrailRule

    with GUARDRAIL_DEFAULTS.open("rb") as fh:
        groups = tomllib.load(fh)["rule"]
    created = 0
    for group in groups:
        for phrase in group["phrases"]:
            _, made = GuardrailRule.objects.get_or_create(
                kind=group["kind"],
                phrase=phrase,
                defaults={
                    "severity": group.get("severity", "block"),
                    "message": group.get("message", ""),
                    "purposes": group.get("purposes", []),
                },
            )
            created += made
    return created
