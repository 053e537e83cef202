"""Drafting: messages to members from approved templates, personalised by any chat model when
one is configured, always checked by guardrails. The interface other apps use:

    draft = draft_message(purpose=..., member_id=..., channel="email", invoice_id="",
                          extra_facts={name: (value, source)}, auto=False)
    item_payload["draft"] = draft.as_payload()
    flags = check_draft(item_payload["draft"])      # after a person's edit
    register_fact_provider(fn)                      # fn(member_id, invoice_id) -> {name: (v, src)}
    with drafts_batch([(member_id, invoice_id), ...]):  # many drafts, a few queries in all
        ...

Heavy modules load on first use, so that importing this package (e.g. from models) is cheap.
"""

from reviews.drafting.purposes import PURPOSES


def draft_message(
    *,
    purpose: str,
    member_id: str,
    channel: str = "email",
    invoice_id: str = "",
    extra_facts: dict[str, tuple[object, str]] | None = None,
    auto: bool = False,
):
    """Draft a message: the approved template filled from facts (and reworded by the model when
    LLM_MODEL is set), with required elements and guardrail flags. Returns a Draft."""
    from reviews.drafting.compose import compose

    return compose(
        purpose=purpose,
        member_id=member_id,
        channel=channel,
        invoice_id=invoice_id,
        extra_facts=extra_facts,
        auto=auto,
    )


def check_draft(payload_draft: dict) -> list[dict]:
    """Re-run the guardrails over a stored draft (subject/body possibly edited by a person)."""
    from reviews.drafting.compose import check_payload

    return check_payload(payload_draft)


def register_fact_provider(fn, *, many=None):
    """fn(member_id, invoice_id) -> {name: (value, source)}, asked for every draft; ``many``
    ([(member_id, invoice_id)]) -> {(member_id, invoice_id): facts} answers a batch at once."""
    from reviews.drafting.facts import register_fact_provider as register

    return register(fn, many=many)


def drafts_batch(pairs: list[tuple[str, str]]):
    """A block in which drafts for these (member_id, invoice_id) pairs are made with a few
    queries in all (facts, templates, rules and records read or written once per batch)."""
    from reviews.drafting.compose import drafts_batch as batch

    return batch(pairs)


def __getattr__(name: str):
    if name == "Draft":
        from reviews.drafting.compose import Draft

        return Draft
    raise AttributeError(name)


__all__ = [
    "PURPOSES",
    "Draft",
    "check_draft",
    "draft_message",
    "drafts_batch",
    "register_fact_provider",
]
