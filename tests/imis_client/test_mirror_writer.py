"""The COPY-based mirror writer: exact round trips, and no write at all for unchanged rows."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from imis_client.contracts import Ctx
from imis_client.contracts.parsers import parse_party
from imis_client.mirror_writer import MirrorWriter, PreparedRows, encode_raw
from imis_client.models import ImisParty

pytestmark = pytest.mark.django_db

TRICKY = "Zoë O'Brien-Müller \\ Jr.\tIII\nline two\r\u00a0☃"


def _row(imis_id: str, name: str, **extra) -> tuple[dict, bytes, datetime]:
    record = {
        "$type": "Asi.Soa.Membership.DataContracts.PersonData, Asi.Contracts",
        "PartyId": imis_id,
        "Name": name,
        "Note": "C:\\temp\\x",
        "AdditionalAttributes": {"$values": [{"Name": "JoinDate", "Value": "1999-12-31T00:00:00"}]},
        **extra,
    }
    row = parse_party(record, Ctx("party", imis_id, ZoneInfo("America/New_York")))
    return row, encode_raw(record), timezone.now()


def test_writer_round_trips_backslashes_tabs_newlines_and_unicode():
    writer = MirrorWriter(ImisParty)
    row, raw, synced_at = _row("1", TRICKY)
    created, updated, unchanged = writer.write([writer.prepare(row, raw, synced_at)])
    assert (created, updated, unchanged) == (1, 0, 0)
    party = ImisParty.objects.get(imis_id="1")
    assert party.name == TRICKY
    assert party.raw["Name"] == TRICKY and party.raw["Note"] == "C:\\temp\\x"
    assert party.join_date == date(1999, 12, 31)
    assert party.is_member is None


def test_writer_stores_missing_values_as_null_and_plain_text_as_is():
    # Missing values go as NULL (binary COPY's -1 length), never as empty text or zero.
    writer = MirrorWriter(ImisParty)
    row, raw, synced_at = _row("5", "Ann Plain")
    writer.write([writer.prepare(row, raw, synced_at)])
    party = ImisParty.objects.get(imis_id="5")
    assert party.name == "Ann Plain" and party.first_name == ""
    assert party.is_member is None and party.paid_thru is None
    assert party.join_date == date(1999, 12, 31)


def test_writer_counts_new_changed_and_unchanged_and_last_duplicate_wins():
    writer = MirrorWriter(ImisParty)
    first = [writer.prepare(*_row(str(i), f"Member {i}")) for i in range(5)]
    assert writer.write(first) == (5, 0, 0)
    again = [writer.prepare(*_row(str(i), f"Member {i}")) for i in range(5)]
    again.append(writer.prepare(*_row("2", "Renamed", Balance=Decimal("1.50").__str__())))
    assert writer.write(again) == (0, 1, 4)
    assert ImisParty.objects.get(imis_id="2").name == "Renamed"
    assert ImisParty.objects.count() == 5


def test_writer_revives_a_row_marked_deleted_when_it_comes_back():
    writer = MirrorWriter(ImisParty)
    writer.write([writer.prepare(*_row("7", "Back Again"))])
    assert writer.mark_missing_deleted(set(), now=timezone.now()) == 1
    writer.write([writer.prepare(*_row("7", "Back Again"))])
    assert ImisParty.objects.get(imis_id="7").deleted_at is None


def test_rows_known_absent_go_in_without_a_lookup_and_duplicates_in_a_batch_keep_the_last():
    # an initial load: ids not met before in the run are inserted straight away
    writer = MirrorWriter(ImisParty)
    rows = [writer.prepare(*_row(str(i), f"Member {i}")) for i in range(3)]
    rows.append(writer.prepare(*_row("1", "Member 1, later")))
    assert writer.write(rows, absent={"0", "1", "2"}) == (3, 0, 0)
    assert ImisParty.objects.get(imis_id="1").name == "Member 1, later"
    # an id met again later in the run is looked up, so it updates instead of failing
    again = [writer.prepare(*_row("1", "Member 1, changed")), writer.prepare(*_row("3", "New"))]
    assert writer.write(again, absent={"3"}) == (1, 1, 0)
    assert sorted(ImisParty.objects.values_list("name", flat=True)) == [
        "Member 0",
        "Member 1, changed",
        "Member 2",
        "New",
    ]


def test_bulk_decoding_leaves_garbage_collection_as_it_found_it_even_after_an_error():
    import gc

    from imis_client.page_workers import bulk_decoding

    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), bulk_decoding():
        assert gc.get_freeze_count() > 0  # what was alive is frozen while pages are read
        raise RuntimeError("iMIS went away")
    assert gc.get_freeze_count() == 0


def test_the_sync_command_starts_without_the_machine_learning_stack():
    # pandas, scikit-learn and xgboost cost seconds to import; a sync every few minutes must
    # not pay for them (renewals loads them only in its jobs)
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup(); "
        "from django.core.management import load_command_class; "
        "load_command_class('imis_client', 'imis_sync'); import imis_client.services; "
        "print(sorted(m for m in ('pandas', 'sklearn', 'xgboost') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_rows_prepared_a_page_at_a_time_write_as_rows_one_by_one_do():
    writer = MirrorWriter(ImisParty)
    tricky = [writer.prepare(*_row(str(i), f"{TRICKY} {i}")) for i in range(3)]
    assert PreparedRows.of(tricky).rows() == tricky
    # an initial load's pages go in whole
    page = PreparedRows.of(tricky)
    assert writer.write(page, absent={"0", "1", "2"}) == (3, 0, 0)
    assert ImisParty.objects.get(imis_id="1").name == f"{TRICKY} 1"
    # pages with an id met before, or twice, go row by row: the last one wins
    again = PreparedRows.of([writer.prepare(*_row("1", "Renamed")), *tricky[2:]])
    again.extend(PreparedRows.of([writer.prepare(*_row("3", "New")), *tricky[2:]]))
    assert writer.write(again, absent={"3"}) == (1, 1, 1)
    assert sorted(ImisParty.objects.values_list("name", flat=True)) == sorted(
        [f"{TRICKY} 0", f"{TRICKY} 2", "New", "Renamed"]
    )


def test_a_nul_character_in_a_name_is_left_out_of_the_column_and_kept_in_the_payload():
    # JSON may carry \u0000; PostgreSQL text cannot hold it, and one such record must not fail
    # the COPY of its whole batch.
    writer = MirrorWriter(ImisParty)
    row, raw, synced_at = _row("9", "Ann\x00 Smith\x00")
    assert b"\\u0000" in raw
    assert writer.write([writer.prepare(row, raw, synced_at)]) == (1, 0, 0)
    party = ImisParty.objects.get(imis_id="9")
    assert party.name == "Ann Smith"
    assert party.raw["Name"] == "Ann\x00 Smith\x00"
    assert party.synced_at == synced_at
