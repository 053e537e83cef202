"""Writes of billing: the policy's overrides. (Checks are in ``checks``, memos in ``memos``.)"""

from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from dues.billing.policy import RULES, RULES_BY_NAME, as_texts, current_policy, defaults
from dues.models import BillingPolicySetting


@transaction.atomic
def billing_policy_set(*, user, values: dict[str, str]) -> dict:
    """Change rules of the billing policy; one audit event names each rule before and after.

    ``values`` maps rule names to text as a person typed it; every value is checked before any
    is stored, so a bad one changes nothing. A value equal to the environment's default removes
    the override. Returns {rule: [before, after]} of what changed.
    """
    unknown = set(values) - set(RULES_BY_NAME)
    if unknown:
        raise DomainError(f"Unknown billing rule {', '.join(sorted(unknown))}.")
    before = as_texts(current_policy())
    env_texts = {
        rule.name: rule.text(value) for rule, value in zip(RULES, defaults().values(), strict=True)
    }
    parsed, problems = {}, []
    for name, text in values.items():
        rule = RULES_BY_NAME[name]
        try:
            parsed[name] = rule.text(rule.parse(text))
        except DomainError as exc:
            problems.append(f"{rule.label}: {exc}")
    if problems:
        raise DomainError(" ".join(problems), code="invalid_policy")
    changed = {n: [before[n], t] for n, t in parsed.items() if before[n] != t}
    if not changed:
        raise DomainError("Nothing was changed.", code="unchanged")
    for name, (_, text) in changed.items():
        if text == env_texts[name]:
            BillingPolicySetting.objects.filter(name=name).delete()
            continue
        setting, _ = BillingPolicySetting.objects.select_for_update().get_or_create(
            name=name, defaults={"value": text, "updated_by": user}
        )
        setting.value, setting.updated_by = text, user
        setting.full_clean()
        setting.save()
    labels = ", ".join(RULES_BY_NAME[n].label.lower() for n in changed)
    audit_record(
        action="billing.policy_changed",
        summary=f"Billing policy changed: {labels}"[:500],
        actor=user,
        object_type="billing_policy",
        object_id="policy",
        data={
            "before": {n: b for n, (b, _) in changed.items()},
            "after": {n: a for n, (_, a) in changed.items()},
        },
    )
    return changed
