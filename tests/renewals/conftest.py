"""Fixtures: a generated association synced into the mirror over real HTTP (once per session,
then restored with COPY for each test that needs it), and role users."""

import io
from datetime import date

import pytest
from django.db import connection

from common import roles
from imis_client import models as m
from imis_client.client import ImisClient
from imis_client.services import sync_run_execute
from sandbox.imis import SandboxApp, SandboxServer, generate

AS_OF = date(2025, 6, 30)
MEMBERS = 2000
SEED = 11
MIRROR = [
    m.ImisParty,
    m.ImisSubscription,
    m.ImisInvoice,
    m.ImisItem,
    m.ImisEvent,
    m.ImisEventRegistration,
    m.ImisActivity,
    m.ImisGroupMember,
    m.ImisCommunication,
    m.ImisRelationshipOwner,
]
_DUMP: dict[str, bytes] = {}
_ASSOCIATION = {}


def association():
    if "a" not in _ASSOCIATION:
        _ASSOCIATION["a"] = generate(MEMBERS, seed=SEED, as_of=AS_OF)
    return _ASSOCIATION["a"]


def _dump() -> None:
    raw = connection.connection
    for model in MIRROR:
        buffer = io.BytesIO()
        statement = f'COPY "{model._meta.db_table}" TO STDOUT (FORMAT binary)'
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for chunk in copy:
                buffer.write(chunk)
        _DUMP[model._meta.db_table] = buffer.getvalue()


def _restore() -> None:
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        for table, data in _DUMP.items():
            with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
                copy.write(data)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)'
            )


@pytest.fixture
def sandbox_mirror(transactional_db):
    """The mirror of a 2,000-member generated association as of 30 June 2025."""
    if _DUMP:
        _restore()
        return association()
    app = SandboxApp(association(), token_ttl=600)
    with (
        SandboxServer(app) as server,
        ImisClient(server.base_url, "sandbox", "sandbox", timeout=10, concurrency=3) as c,
    ):
        run = sync_run_execute(full=True, client=c)
    assert run.status == "succeeded", run.results
    connection.ensure_connection()
    _dump()
    return association()


@pytest.fixture
def staff(make_user):
    """A membership staff member, a second one for the rotation, and a manager."""
    return {
        "maya": make_user(roles.MEMBERSHIP, "maya"),
        "jo": make_user(roles.MEMBERSHIP, "jo"),
        "grace": make_user(roles.MANAGER, "grace"),
    }
