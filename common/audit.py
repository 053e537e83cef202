"""The audit trail: record events (every app may), and verify the hash chain.

Rows are hash-chained by the database itself (migration 0004); this module only inserts, and
re-computes the chain with the same SQL functions to find a row that was altered or removed.
"""

import re
from contextvars import ContextVar

from django.db import connection

from common.models import AuditEvent

SYSTEM = "system"

# The signed-in person whose request is being served (set by AuditActorMiddleware), so events
# recorded deep inside signals still name who did it.
current_actor: ContextVar = ContextVar("current_actor", default=None)


def audit_event(
    *,
    action: str,
    summary: str,
    actor=None,
    actor_name: str | None = None,
    object_type: str = "",
    object_id: str | int = "",
    member_id: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """The event ``audit_record`` appends, not yet saved (``audit_record_many`` saves many)."""
    if actor is None and actor_name is None:
        actor = current_actor.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    name = actor_name or (actor.get_username() if actor is not None else SYSTEM)
    return AuditEvent(
        actor=actor,
        actor_name=name[:150],
        action=action[:80],
        object_type=object_type[:80],
        object_id=str(object_id)[:80],
        member_id=str(member_id)[:80],
        summary=summary[:500],
        data=data or {},
    )


def audit_record(**fields) -> AuditEvent:
    """Append one event (the fields of ``audit_event``). Call it inside the transaction of the
    change it records."""
    event = audit_event(**fields)
    event.save(force_insert=True)
    return event


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append events made by ``audit_event``, in one INSERT per thousand (the database chains
    each row as it goes in)."""
    return AuditEvent.objects.bulk_create(events, batch_size=1000)


def audit_verify(*, table: str = "common_auditevent") -> dict:
    """Walk the chain in id order; the first row whose hash or link does not hold is named.

    ``table`` may name a copy of the audit table (for checking an exported or restored copy).
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")
    query = f"""
        SELECT id, prev_hash, row_hash,
               common_audit_row_hash(prev_hash, common_audit_canonical(
                   id, occurred_at, actor_id, actor_name, action, object_type, object_id,
                   member_id, summary, data)) AS expected
        FROM "{table}" ORDER BY id
    """  # noqa: S608 (the table name is checked above)
    rows = 0
    previous = ""
    with connection.cursor() as cursor:
        cursor.execute(query)
        while batch := cursor.fetchmany(5000):
            for row_id, prev_hash, row_hash, expected in batch:
                rows += 1
                if prev_hash != previous:
                    return _broken(rows, row_id, "its link to the row before it does not match")
                if row_hash != expected:
                    return _broken(rows, row_id, "its content does not match its hash")
                previous = row_hash
    return {"rows": rows, "ok": True, "first_broken": None}


def _broken(rows: int, row_id: int, reason: str) -> dict:
    return {"rows": rows, "ok": False, "first_broken": {"id": row_id, "reason": reason}}
