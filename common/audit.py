"""The audit trail: record events (every app may), and verify the hash chain.

Rows are hash-chained by the database itself (migration 0004); this module only inserts, and
re-computes the chain with the same SQL functions to find a row that was altered or removed.
"""

import hashlib
import hmac
import json
import re
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

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
    anchors = anchors_read()
    anchored = {a["id"]: a for a in anchors if a.get("valid")}
    met = 0
    with connection.cursor() as cursor:
        cursor.execute(query)
        while batch := cursor.fetchmany(5000):
            for row_id, prev_hash, row_hash, expected in batch:
                rows += 1
                if prev_hash != previous:
                    return _broken(rows, row_id, "its link to the row before it does not match")
                if row_hash != expected:
                    return _broken(rows, row_id, "its content does not match its hash")
                anchor = anchored.get(row_id)
                if anchor is not None:
                    met += 1
                    if anchor["row_hash"] != row_hash:
                        return _broken(
                            rows,
                            row_id,
                            f"the chain was rebuilt: its hash differs from the one anchored "
                            f"outside the database on {anchor['at']}",
                        )
                previous = row_hash
    forged = next((a for a in anchors if not a.get("valid")), None)
    if forged is not None:
        return _broken(rows, forged.get("id"), "an anchor outside the database fails its key")
    if met < len(anchored) and table == "common_auditevent":
        missing = min(set(anchored) - _ids_present(set(anchored)))
        return _broken(rows, missing, "an anchored row is missing from the trail")
    return {"rows": rows, "ok": True, "first_broken": None, "anchors": len(anchored)}


def _ids_present(ids: set[int]) -> set[int]:
    return set(AuditEvent.objects.filter(id__in=ids).values_list("id", flat=True))


def _broken(rows: int, row_id, reason: str) -> dict:
    return {"rows": rows, "ok": False, "first_broken": {"id": row_id, "reason": reason}}


# --- anchors outside the database ------------------------------------------------------------
# The chain proves that no row was changed without rebuilding every hash after it; whoever holds
# the database's owner credentials could still rebuild it. So the head of the chain is written,
# daily, to a file outside PostgreSQL with an HMAC under a key the database never sees
# (AUDIT_ANCHOR_KEY); a rebuilt chain then disagrees with an anchor it cannot forge.


def _anchor_key() -> bytes:
    key = (
        settings.AUDIT_ANCHOR_KEY
        or hashlib.sha256(b"duesdesk-audit-anchor:" + settings.SECRET_KEY.encode()).hexdigest()
    )
    return key.encode()


def _anchor_mac(row_id: int, row_hash: str, at: str) -> str:
    message = f"{row_id}|{row_hash}|{at}".encode()
    return hmac.new(_anchor_key(), message, hashlib.sha256).hexdigest()


def _anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR) / "audit-anchors.jsonl"


def audit_anchor_write() -> dict | None:
    """Append the chain's head to the anchor file (None while the trail is empty)."""
    head = AuditEvent.objects.order_by("-id").values("id", "row_hash").first()
    if head is None:
        return None
    at = timezone.now().isoformat()
    anchor = {"id": head["id"], "row_hash": head["row_hash"], "at": at}
    anchor["mac"] = _anchor_mac(head["id"], head["row_hash"], at)
    path = _anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(anchor) + "\n")
    return anchor


def anchors_read() -> list[dict]:
    """Every anchor written, each with ``valid``: whether its HMAC holds under the key."""
    path = _anchor_file()
    if not path.exists():
        return []
    anchors = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            anchor = json.loads(line)
            expected = _anchor_mac(int(anchor["id"]), str(anchor["row_hash"]), str(anchor["at"]))
            anchor["valid"] = hmac.compare_digest(expected, str(anchor.get("mac", "")))
        except (ValueError, KeyError, TypeError):
            anchor = {"id": None, "valid": False}
        anchors.append(anchor)
    return anchors
