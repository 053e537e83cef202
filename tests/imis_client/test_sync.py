"""Sync into the mirror: exact under faults, silent when unchanged, resumable, quarantining."""

from zoneinfo import ZoneInfo

import orjson
import pytest
from django.conf import settings
from django.db import connection

from common.errors import DomainError
from imis_client import models as m
from imis_client.client import ImisClient
from imis_client.contracts import Ctx
from imis_client.contracts.wire import record_decoder
from imis_client.errors import ImisAuthError
from imis_client.mirror_writer import MirrorWriter
from imis_client.services import _sync_run_transition, sync_run_execute
from imis_client.sync_entities import entities
from tests.imis_client.conftest import fetch_all

pytestmark = pytest.mark.django_db(transaction=True)  # the sync commits on its own thread


@pytest.fixture(autouse=True)
def every_run_is_thorough(settings):
    """Exactness tests make every run re-read what a scheduled run re-reads daily or hourly."""
    settings.IMIS_FULL_REREAD_HOURS = 0
    settings.IMIS_OPEN_INVOICE_SWEEP_MINUTES = 0


def assert_mirror_equals_sandbox(sandbox):
    for entity in entities():
        served = fetch_all(sandbox, entity.endpoint)
        mirrored = {
            row.imis_id: row.raw
            for row in entity.model.objects.filter(deleted_at__isnull=True).only("imis_id", "raw")
        }
        assert mirrored.keys() == served.keys(), entity.name
        for imis_id, record in served.items():
            assert mirrored[imis_id] == record, (entity.name, imis_id)


def assert_columns_hold_what_the_parsers_read():
    """Every typed column of every mirror row is what its parser reads from the stored payload
    (the rows go to PostgreSQL in COPY's binary format: dates, amounts, flags, NULLs)."""
    tz = ZoneInfo(settings.IMIS_TIME_ZONE)
    for entity in entities():
        decode = record_decoder(entity.name)
        names = MirrorWriter(entity.model).data_fields
        rows = list(entity.model.objects.values("raw", *names))
        assert rows, entity.name
        for stored in rows:
            raw = orjson.dumps(stored.pop("raw"))
            parsed = entity.parse(decode(raw), Ctx(entity.name, None, tz))
            if "schedule" in parsed:  # the price schedule, parsed as the JSON text it stores
                parsed["schedule"] = orjson.loads(parsed["schedule"])
            assert stored == {name: parsed.get(name) for name in names}, entity.name


def test_full_sync_mirror_equals_sandbox_id_for_id_and_field_for_field(client, sandbox):
    run = sync_run_execute(full=True, client=client)
    assert run.status == "succeeded"
    assert_mirror_equals_sandbox(sandbox)
    assert_columns_hold_what_the_parsers_read()
    person = m.ImisParty.objects.filter(is_organization=False).exclude(email="").first()
    assert person.first_name and person.last_name and "@" in person.email


def test_full_sync_stores_each_payload_as_the_exact_text_imis_sent(client, sandbox):
    sync_run_execute(full=True, client=client)
    sent = {
        orjson.loads(item)["PartyId"]: item.decode()
        for page in client.iter_pages("Party", raw=True)
        for item in page.items
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT imis_id, raw::text FROM imis_client_imisparty")
        stored = dict(cursor.fetchall())
    assert len(stored) > 100
    assert stored == {imis_id: sent[imis_id] for imis_id in stored}


def test_sync_under_faults_still_ends_exact(client, sandbox):
    # given a flaky iMIS: 429s, 5xx bursts, resets, short-lived tokens, rows changing mid-scan
    # (tokens of 2 s: the run takes ~10 s, so it logs in again several times; at 1 s a loaded
    # machine could let a fresh token lapse before its first use, which no real iMIS does)
    sandbox.faults.set(
        "429=0.05,retry_after=0,5xx=0.05,burst=2,reset=0.03,expire=2,mutate=0.2,seed=5"
    )
    run = sync_run_execute(full=True, client=client)
    assert run.status == "succeeded"
    assert client.stats["retries"] > 0
    assert client.stats["logins"] > 1
    # then, once iMIS is quiet again, one incremental run makes the mirror exact
    sandbox.faults.clear()
    sync_run_execute(full=False, client=client)
    assert_mirror_equals_sandbox(sandbox)


def _row_versions() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT imis_id, xmin::text FROM imis_client_imisparty")
        return dict(cursor.fetchall())


def test_second_sync_with_nothing_changed_writes_nothing(client, sandbox):
    sync_run_execute(full=True, client=client)
    before = _row_versions()
    run = sync_run_execute(full=False, client=client)
    assert run.totals["created"] == 0 and run.totals["updated"] == 0
    assert _row_versions() == before  # not one mirror row rewritten


def test_incremental_sync_finds_what_changed_after_time_moves(client, sandbox, association):
    sync_run_execute(full=True, client=client)
    association.advance(7)
    run = sync_run_execute(full=False, client=client)
    assert run.results["invoice"]["created"] + run.results["party"]["updated"] > 0
    assert_mirror_equals_sandbox(sandbox)


class CrashAfter:
    """A progress reporter that kills the run after some pages, as a dying worker would."""

    def __init__(self, entity: str, pages: int):
        self.entity, self.pages, self.current = entity, pages, ""

    def stage(self, name, **kwargs):
        self.current = name

    def advance(self, n=1, **kwargs):
        if self.current == self.entity:
            self.pages -= 1
            if self.pages <= 0:
                raise KeyboardInterrupt("worker killed")

    def note(self, *args, **kwargs): ...


def test_sync_killed_mid_entity_resumes_without_gap_or_duplicate(
    client, sandbox, association, monkeypatch
):
    client.page_size = 40
    monkeypatch.setattr("imis_client.sync.BATCH_ROWS", 100)  # commit every few pages
    with pytest.raises(KeyboardInterrupt):
        sync_run_execute(full=True, client=client, progress=CrashAfter("activity", 8))
    state = m.SyncState.objects.get(entity="activity")
    assert state.resume and state.resume["offset"] > 0
    landed_before = m.ImisActivity.objects.count()
    assert landed_before > 0
    association.advance(2)  # iMIS keeps changing while the worker is down
    run = sync_run_execute(full=True, client=client)
    # the rerun continued from the committed offset rather than from the start
    assert run.results["activity"]["fetched"] < len(fetch_all(sandbox, "Activity"))
    assert m.SyncState.objects.get(entity="activity").resume is None
    assert_mirror_equals_sandbox(sandbox)


def test_malformed_record_is_quarantined_with_reason_and_the_rest_lands(
    client, sandbox, association
):
    association.malform("Party", ["10005"], kind="bad_date")
    run = sync_run_execute(full=True, client=client)
    assert run.results["party"]["quarantined"] == 1
    problem = m.SyncQuarantine.objects.get(entity="party")
    assert problem.imis_id == "10005"
    assert "should be a date-time like 2024-05-31T00:00:00" in problem.reason
    assert not m.ImisParty.objects.filter(imis_id="10005").exists()
    assert m.ImisParty.objects.count() == len(fetch_all(sandbox, "Party"))
    # once iMIS has the record right again, it lands and the problem is resolved
    association.clear_malformed()
    sync_run_execute(full=True, client=client)
    assert m.ImisParty.objects.filter(imis_id="10005").exists()
    assert m.SyncQuarantine.objects.get(entity="party").resolved_at is not None


def test_quarantined_activity_keeps_the_whole_record_not_the_parts_the_parser_read(
    client, sandbox, association
):
    # given an Activity row (decoded only in part for its parser) with a date that is not one
    activity_id = sorted(fetch_all(sandbox, "Activity"))[0]
    association.malform("Activity", [activity_id], kind="bad_date")
    run = sync_run_execute(full=True, client=client, only=["activity"])
    assert run.results["activity"]["quarantined"] == 1
    problem = m.SyncQuarantine.objects.get(entity="activity")
    assert problem.imis_id == activity_id and "should be a date-time" in problem.reason
    assert problem.raw["EntityTypeName"] == "Activity"
    assert problem.raw["Properties"]["$type"].startswith("Asi.Soa.Core.DataContracts.")


def test_wrong_credentials_stop_the_sync_and_write_nothing(sandbox, waits):
    bad = ImisClient(sandbox.base_url, "sandbox", "nope", sleep=waits)
    with pytest.raises(ImisAuthError, match="iMIS rejected the username or password"):
        sync_run_execute(full=True, client=bad)
    assert m.ImisParty.objects.count() == 0
    assert m.ImisItem.objects.count() == 0
    assert m.SyncRun.objects.get().status == "failed"


def test_invoices_paid_after_a_sync_are_closed_by_the_next(client, sandbox, association):
    sync_run_execute(full=True, client=client)
    open_before = set(m.ImisInvoice.objects.filter(is_open=True).values_list("imis_id", flat=True))
    association.advance(30)
    sync_run_execute(full=False, client=client)
    served = fetch_all(sandbox, "InvoiceSummary")
    still_open = set(m.ImisInvoice.objects.filter(is_open=True).values_list("imis_id", flat=True))
    closed = open_before - still_open
    assert closed, "thirty days should see some invoices paid"
    for imis_id in closed:
        assert served[imis_id]["Balance"]["Amount"] == 0


def test_routine_incremental_reads_new_rows_and_paid_dues_without_whole_rereads(
    client, sandbox, association, settings
):
    settings.IMIS_FULL_REREAD_HOURS = 24
    settings.IMIS_OPEN_INVOICE_SWEEP_MINUTES = 60
    sync_run_execute(full=True, client=client)
    open_before = set(m.ImisInvoice.objects.filter(is_open=True).values_list("imis_id", flat=True))
    association.advance(30)
    run = sync_run_execute(full=False, client=client)
    # far fewer rows read than the tables hold
    assert run.results["group_member"]["fetched"] < m.ImisGroupMember.objects.count() / 2
    assert run.results["invoice"]["fetched"] < len(open_before)
    # yet new registrations and memberships, and dues invoices paid since, are in the mirror
    served = fetch_all(sandbox, "InvoiceSummary")
    for imis_id in open_before:
        assert m.ImisInvoice.objects.get(imis_id=imis_id).is_open == (
            served[imis_id]["Balance"]["Amount"] != 0
        ), imis_id
    assert m.ImisGroupMember.objects.count() == len(fetch_all(sandbox, "GroupMember"))
    assert m.ImisEventRegistration.objects.count() == len(fetch_all(sandbox, "EventRegistration"))


def _index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        return {name for (name,) in cursor.fetchall()}


def test_initial_load_builds_secondary_indexes_after_the_rows(client, sandbox):
    tables = {e.name: e.model._meta.db_table for e in entities()}
    before = {name: _index_names(table) for name, table in tables.items()}
    run = sync_run_execute(full=True, client=client)
    assert run.status == "succeeded"
    assert {name: _index_names(table) for name, table in tables.items()} == before
    assert not m.SyncState.objects.exclude(deferred_indexes=[]).exists()


def test_process_killed_during_an_initial_load_gets_its_indexes_back_on_the_next_run(
    client, sandbox, monkeypatch
):
    # given a worker that dies mid-load before it can rebuild what it dropped (kill -9: no
    # finally clause runs, so the rebuild is switched off for this run)
    client.page_size = 40
    monkeypatch.setattr("imis_client.sync.BATCH_ROWS", 100)
    monkeypatch.setattr("imis_client.sync.EntitySyncer._restore_indexes", lambda self: None)
    table = m.ImisActivity._meta.db_table
    expected = _index_names(table)
    with pytest.raises(KeyboardInterrupt):
        sync_run_execute(full=True, client=client, progress=CrashAfter("activity", 8))
    assert "activity_party_date" not in _index_names(table)
    assert m.SyncState.objects.get(entity="activity").deferred_indexes
    # when the next run completes
    monkeypatch.undo()
    assert sync_run_execute(full=True, client=client).status == "succeeded"
    # then every index is back and nothing is left to rebuild
    assert _index_names(table) == expected
    assert m.SyncState.objects.get(entity="activity").deferred_indexes == []
    assert_mirror_equals_sandbox(sandbox)


def test_sync_run_status_changes_only_as_declared():
    # given a run that finished
    run = m.SyncRun.objects.create(status=m.SyncRun.Status.SUCCEEDED)
    # when something tries to fail it afterwards, then it is refused, saying why
    with pytest.raises(
        DomainError, match=rf"^Sync #{run.pk} is succeeded; it cannot become failed\.$"
    ):
        _sync_run_transition(run, m.SyncRun.Status.FAILED)
    assert set(m.SyncRun.TRANSITIONS) == set(m.SyncRun.Status)


def test_every_entity_declares_a_known_mode_and_a_typo_is_refused():
    assert {type(e.mode) for e in entities()} == {m.SyncMode}
    item = entities()[0]
    with pytest.raises(ValueError, match="'stmap' is not a valid SyncMode"):
        type(item)(item.name, item.endpoint, item.model, item.parse, item.id_of, "stmap")


def test_an_index_build_that_fails_fails_the_run_and_keeps_what_to_rebuild(
    client, sandbox, monkeypatch
):
    # given an initial load whose deferred indexes (built beside the next entities) cannot be
    def no_space(self, definitions):
        raise RuntimeError("could not extend file: No space left on device")

    monkeypatch.setattr("imis_client.mirror_writer.MirrorWriter.create_indexes", no_space)
    with pytest.raises(RuntimeError, match="No space left on device"):
        sync_run_execute(full=True, client=client, only=["party", "subscription"])
    # then the run says so, and the next one knows what is still to build
    assert m.SyncRun.objects.latest("pk").status == "failed"
    assert m.SyncState.objects.get(entity="party").deferred_indexes
