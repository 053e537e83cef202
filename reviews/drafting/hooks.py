"""What the review queues do with an item whose payload carries a drafted message
(payload["draft"]): re-check it on every change, refuse approval while a blocking flag remains,
and label it when an Auto policy sends it."""

from common.errors import DomainError

BLOCK = "block"


def _plain(text) -> str:
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n")


def _is_draft(payload: dict) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("draft"), dict)


def checked(payload: dict, previous: dict | None = None) -> dict:
    """The payload with its draft's flags re-run. After an edit only the subject and body come
    from the edit; facts, purpose and versions stay as drafted, so nobody can edit a fact in."""
    if previous is not None and _is_draft(previous) and not _is_draft(payload):
        raise DomainError(
            'The drafted message must stay a message: send "draft" as {"subject": ..., '
            '"body": ...}.',
            code="draft_shape",
        )
    if not _is_draft(payload):
        return payload
    from reviews.drafting import check_draft

    draft = payload["draft"]
    if previous is not None and _is_draft(previous):
        base = previous["draft"]
        draft = {
            **base,
            "subject": str(draft.get("subject", base.get("subject", "")) or ""),
            "body": str(draft.get("body", base.get("body", "")) or ""),
        }
    # Browsers send a textarea's line breaks as CRLF; offsets of flags count plain newlines.
    draft = {**draft, "subject": _plain(draft.get("subject")), "body": _plain(draft.get("body"))}
    flags = check_draft(draft)
    blocking = any(f["severity"] == BLOCK for f in flags)
    return {**payload, "draft": {**draft, "flags": flags, "blocking": blocking}}


def refuse_if_blocked(payload: dict) -> None:
    """Approval waits until no blocking flag remains (re-checked now: rules may have changed)."""
    if not _is_draft(payload):
        return
    from reviews.drafting import check_draft

    blocks = [f for f in check_draft(payload["draft"]) if f["severity"] == BLOCK]
    if blocks:
        more = f" (and {len(blocks) - 1} more)" if len(blocks) > 1 else ""
        raise DomainError(
            f"The draft cannot be approved while it has a blocking problem: "
            f"{blocks[0]['message']}{more} Edit the text until none remain, then approve.",
            code="draft_blocked",
        )


def blocking(payload: dict) -> bool:
    return _is_draft(payload) and bool(payload["draft"].get("blocking"))


def labelled_auto(payload: dict) -> dict:
    """The payload with its draft marked as sent under an Auto policy."""
    if not _is_draft(payload) or payload["draft"].get("auto"):
        return payload
    from reviews.drafting.compose import mark_auto

    return {**payload, "draft": mark_auto(payload["draft"])}
