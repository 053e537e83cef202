"""Status changes against the transitions a model declares beside its states (TRANSITIONS)."""

from django.db import models

from common.errors import DomainError


def transition(obj: models.Model, to: str, *, subject: str, field: str = "status") -> None:
    """Move obj to state ``to`` if its TRANSITIONS allow it; otherwise say why not."""
    current = getattr(obj, field)
    transitions: dict[str, set[str]] = type(obj).TRANSITIONS  # type: ignore[attr-defined]
    if to not in transitions[current]:
        labels = dict(getattr(type(obj)._meta.get_field(field), "choices", None) or ())
        raise DomainError(
            f"{subject} is {str(labels.get(current, current)).lower()}; "
            f"it cannot become {str(labels.get(to, to)).lower()}.",
            code="invalid_transition",
        )
    setattr(obj, field, to)
