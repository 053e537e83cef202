"""The app's own database role: business tables read and written, the audit trail insert-only."""

import json
import uuid
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_role(monkeypatch):
    role = f"app_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DATABASE_APP_PASSWORD", "app-role-test-password")
    out = StringIO()
    call_command("db_app_role", role=role, stdout=out)
    report = json.loads(out.getvalue())
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        password="app-role-test-password",
        autocommit=True,
    )
    yield role, report, conn
    conn.close()
    with connection.cursor() as cursor:
        cursor.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def test_the_app_role_appends_to_the_audit_trail_but_cannot_rewrite_it(app_role):
    _, report, conn = app_role
    assert report["created"] is True
    assert "imis_client_imisparty" in report["owns"]
    conn.execute(
        "INSERT INTO common_auditevent (occurred_at, actor_name, action, object_type, object_id,"
        " member_id, summary, data, prev_hash, row_hash) VALUES (now(), 'app', 'test.event', '',"
        " '', '', 'from the app role', '{}', '', '')"
    )
    for statement, refusal in [
        ("UPDATE common_auditevent SET summary = 'x'", "permission denied"),
        ("DELETE FROM common_auditevent", "permission denied"),
        ("TRUNCATE common_auditevent", "permission denied"),
        (
            "ALTER TABLE common_auditevent DISABLE TRIGGER common_auditevent_append_only",
            "must be owner",
        ),
    ]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refusal):
            conn.execute(statement)
    [(count,)] = conn.execute("SELECT count(*) FROM common_auditevent").fetchall()
    assert count >= 1


def test_the_app_role_writes_business_tables_and_rebuilds_mirror_indexes(app_role):
    _, _, conn = app_role
    conn.execute("INSERT INTO common_workerheartbeat (host, pid, last_seen) VALUES ('w', 1, now())")
    conn.execute("DELETE FROM common_workerheartbeat WHERE host = 'w'")
    conn.execute("CREATE INDEX test_app_role_idx ON imis_client_imisparty (imis_updated_on)")
    conn.execute("DROP INDEX test_app_role_idx")


def test_running_it_again_changes_nothing_and_keeps_the_owner_migrating(app_role):
    role, _, _ = app_role
    out = StringIO()
    call_command("db_app_role", role=role, stdout=out)
    assert json.loads(out.getvalue())["created"] is False
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE imis_client_imisparty ADD COLUMN probe integer")
        cursor.execute("ALTER TABLE imis_client_imisparty DROP COLUMN probe")
