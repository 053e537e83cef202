"""A review-item kind carrying a drafted message, as renewals and dues file them."""

from common.errors import DomainError
from reviews.kinds import ReviewKind, register_kind


def _validate(payload: dict) -> dict:
    if not isinstance(payload.get("draft"), dict):
        raise DomainError("A message proposal needs a draft.")
    return {"draft": payload["draft"]}


MESSAGE = register_kind(
    ReviewKind(
        name="tests.message",
        label="Test: drafted message",
        queue="membership",
        validate=_validate,
        effect=lambda item: {"sent": item.payload["draft"]["body"]},
    )
)
