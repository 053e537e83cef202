"""The audit trail: append-only by the database, hash-chained, verifiable, and filled by the app."""

import csv
import json
import threading
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from common import roles
from common.audit import audit_record, audit_verify
from common.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _events(n=3):
    return [
        audit_record(action="test.event", summary=f"event {i}", actor_name="tester", data={"i": i})
        for i in range(n)
    ]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE common_auditevent SET summary = 'changed'", "DELETE FROM common_auditevent"],
)
def test_raw_sql_update_or_delete_on_the_audit_table_is_refused(statement):
    _events()
    with (
        pytest.raises(DatabaseError, match="the audit trail is append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 3


def test_each_row_is_chained_to_the_one_before():
    first, second, third = _events()
    assert first.prev_hash == "" or first.prev_hash
    second.refresh_from_db()
    third.refresh_from_db()
    assert third.prev_hash == second.row_hash
    assert len(third.row_hash) == 64
    assert audit_verify() == {"rows": 3, "ok": True, "first_broken": None, "anchors": 0}


def test_audit_verify_names_the_row_tampered_with_in_a_copy():
    events = _events(5)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_copy AS SELECT * FROM common_auditevent")
        cursor.execute("UPDATE audit_copy SET summary = 'rewritten' WHERE id = %s", [events[2].pk])
    result = audit_verify(table="audit_copy")
    assert result["ok"] is False
    assert result["first_broken"] == {
        "id": events[2].pk,
        "reason": "its content does not match its hash",
    }
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_copy WHERE id = %s", [events[1].pk])
    assert audit_verify(table="audit_copy")["first_broken"]["id"] == events[2].pk


def test_audit_verify_command_prints_json_and_fails_on_a_broken_chain():
    _events(2)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert json.loads(out.getvalue()) == {"rows": 2, "ok": True, "first_broken": None, "anchors": 0}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_copy2 AS SELECT * FROM common_auditevent")
        cursor.execute("UPDATE audit_copy2 SET actor_name = 'someone else'")
    with pytest.raises(SystemExit):
        call_command("audit_verify", "--table", "audit_copy2", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    barrier = threading.Barrier(8)

    def write(i):
        barrier.wait()
        for j in range(5):
            audit_record(action="test.race", summary=f"{i}/{j}", actor_name=f"t{i}")
        connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert audit_verify() == {"rows": 40, "ok": True, "first_broken": None, "anchors": 0}


def test_sign_in_failure_and_role_change_are_recorded_with_who(client, make_user):
    root = make_user(None, "root", is_superuser=True, is_staff=True)
    finance = make_user(roles.FINANCE)
    client.login(username="frank", password="wrong")
    client.login(username="root", password=PASSWORD)
    # a superuser gives a role in the admin (administrators may not: test_admin_rights.py)
    response = client.post(
        reverse("admin:auth_user_change", args=[finance.pk]),
        {
            "username": "frank",
            "first_name": "Frank",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "groups": [
                Group.objects.get(name=roles.FINANCE).pk,
                Group.objects.get(name=roles.MANAGER).pk,
            ],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content[:500]
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_name"))
    assert ("auth.login_failed", "frank") in actions
    assert ("auth.login", "root") in actions
    assert ("auth.roles_changed", "root") in actions
    change = AuditEvent.objects.get(action="auth.roles_changed", actor_name="root")
    assert change.summary == "frank given Manager" and change.actor_id == root.pk
    assert change.data["before"] == [roles.FINANCE]
    assert change.data["after"] == sorted([roles.FINANCE, roles.MANAGER])


def test_audit_page_filters_and_exports_csv(client, make_user):
    make_user(roles.MANAGER)
    audit_record(
        action="payment.applied", summary="=HYPERLINK(evil)", actor_name="frank", member_id="10001"
    )
    audit_record(action="job.queued", summary="other", actor_name="arjun")
    client.login(username="grace", password=PASSWORD)
    page = client.get(reverse("common:audit_list"), {"person": "frank"}).context["page"]
    assert [e.action for e in page.items] == ["payment.applied"]
    page = client.get(reverse("common:audit_list"), {"member": "10001"}).context["page"]
    assert len(page.items) == 1
    bad = client.get(reverse("common:audit_list"), {"since": "31/12/2025"}).content.decode()
    assert "is not a date; use YYYY-MM-DD." in bad
    response = client.get(reverse("common:audit_export"), {"kind": "payment."})
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,occurred_at,actor,action")
    assert len(lines) == 2 and "'=HYPERLINK(evil)" in lines[1]  # no formula injection
    assert AuditEvent.objects.filter(action="audit.exported", actor_name="grace").exists()


def test_jobs_and_sync_outcomes_reach_the_trail(make_user):
    from common import services

    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 1, "delay": 0})
    services.job_run_execute(job_run_id=job.pk)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"job.queued", "job.succeeded"} <= actions


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_cell_of_the_audit_export_is_safe_from_formulas(client, make_user, prefix):
    make_user(roles.MANAGER)
    client.login(username=f'{prefix}HYPERLINK("http://x")', password="wrong")
    client.login(username="grace", password=PASSWORD)
    response = client.get(reverse("common:audit_export"), {"kind": "auth.login_failed"})
    rows = list(csv.reader(StringIO(b"".join(response.streaming_content).decode())))
    [failed] = [row for row in rows[1:] if row[3] == "auth.login_failed"]
    actor, summary = failed[2], failed[7]
    assert actor == f'\'{prefix}HYPERLINK("http://x")'
    assert summary.startswith("Failed sign-in as")


def _rebuild_chain_as_owner(delete_id: int) -> None:
    """What someone with the owner's credentials can do: drop the guard, delete, re-chain."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE common_auditevent DISABLE TRIGGER common_auditevent_append_only"
        )
        cursor.execute("DELETE FROM common_auditevent WHERE id = %s", [delete_id])
        cursor.execute("SELECT id FROM common_auditevent ORDER BY id")
        previous = ""
        for (row_id,) in cursor.fetchall():
            cursor.execute(
                "UPDATE common_auditevent SET prev_hash = %s, row_hash = common_audit_row_hash("
                "%s, common_audit_canonical(id, occurred_at, actor_id, actor_name, action, "
                "object_type, object_id, member_id, summary, data)) WHERE id = %s "
                "RETURNING row_hash",
                [previous, previous, row_id],
            )
            previous = cursor.fetchone()[0]
        cursor.execute("ALTER TABLE common_auditevent ENABLE TRIGGER common_auditevent_append_only")


def test_a_rebuilt_chain_passes_alone_but_fails_against_the_anchor_outside(audit_anchor_dir):
    events = _events(4)
    anchor = call_command_json("audit_anchor")
    assert anchor["id"] == events[-1].pk
    assert (audit_anchor_dir / "audit-anchors.jsonl").exists()
    _rebuild_chain_as_owner(events[1].pk)
    result = audit_verify()
    assert result["ok"] is False
    assert result["first_broken"]["id"] == events[-1].pk
    assert result["first_broken"]["reason"].startswith("the chain was rebuilt")


def test_a_deleted_tail_or_a_forged_anchor_is_found(audit_anchor_dir, settings):
    events = _events(3)
    call_command_json("audit_anchor")
    assert audit_verify()["ok"] is True
    settings.AUDIT_ANCHOR_KEY = "a different key than the one that signed"
    forged = audit_verify()
    assert forged["first_broken"]["reason"] == "an anchor outside the database fails its key"
    settings.AUDIT_ANCHOR_KEY = ""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE common_auditevent DISABLE TRIGGER ALL")
        cursor.execute("DELETE FROM common_auditevent WHERE id = %s", [events[-1].pk])
        cursor.execute("ALTER TABLE common_auditevent ENABLE TRIGGER ALL")
    result = audit_verify()
    assert result["first_broken"] == {
        "id": events[-1].pk,
        "reason": "an anchored row is missing from the trail",
    }


def call_command_json(name: str) -> dict:
    out = StringIO()
    call_command(name, stdout=out)
    return json.loads(out.getvalue())
