"""The registry of review-item kinds. Other apps register theirs in AppConfig.ready().

A kind says how its payload is checked, who reviews it, above which amount a manager must
approve, how it is re-checked against current data just before its effect runs, and what the
effect is. Effects must be idempotent: they receive the item and its effect key, and a second
run with the same key must not act twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from common.registry import Registry


@dataclass(frozen=True)
class ReviewKind:
    name: str
    label: str
    queue: str  # membership | finance | manager
    validate: Callable[[dict], dict]  # returns the cleaned payload or raises DomainError
    effect: Callable[[object], dict]  # runs after approval; returns a result to keep
    recheck: Callable[[object], str | None] = lambda item: None  # a reason when now stale
    threshold: Decimal | None = None  # amounts above need a manager's approval
    reverse: Callable[[object], dict] | None = None
    # Optional, for kinds filed and carried out many at a time: the same as validate, recheck
    # and effect for a list at once (cleaned payloads; item id -> reason or None; item id ->
    # result, or the exception that item's effect raised, its writes undone).
    validate_many: Callable[[list[dict]], list[dict]] | None = None
    recheck_many: Callable[[list], dict] | None = None
    effect_many: Callable[[list], dict] | None = None
    # Optional, for kinds whose payload is a typed value: ``payload_type`` reads it
    # (``from_payload(dict)``, ``to_payload() -> dict``) and labels it for the item page
    # (``facts() -> [(label, text)]``); ``edit_form`` is the Form the item page edits it with,
    # built as ``edit_form(data, item=item, prefix=...)`` and shown by including its
    # ``template_name``, whose ``payload()`` is the edited payload once valid. Without them the
    # page shows and edits each key of the payload as text.
    payload_type: type | None = None
    edit_form: type | None = None


_KINDS: Registry[ReviewKind] = Registry("review-item kind")


def register_kind(kind: ReviewKind) -> ReviewKind:
    return _KINDS.register(kind.name, kind)


def get_kind(name: str) -> ReviewKind:
    return _KINDS.get(name)


def kinds() -> list[ReviewKind]:
    return sorted(_KINDS.all(), key=lambda k: k.label)
