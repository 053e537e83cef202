"""The COPY-based mirror writer: exact round trips, and no write at all for unchanged rows."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from imis_client.contracts import Ctx
from imis_client.contracts.parsers import parse_party
from imis_client.mirror_writer import MirrorWriter, encode_raw
from imis_client.models import ImisParty

pytestmark = pytest.mark.django_db

TRICKY = "Zoë O'Brien-Müller \\ Jr.\tIII\nline two\r\u00a0☃"


def _row(imis_id: str, name: str, **extra) -> tuple[dict, bytes]:
    record = {
        "$type": "Asi.Soa.Membership.DataContracts.PersonData, Asi.Contracts",
        "PartyId": imis_id,
        "Name": name,
        "Note": "C:\\temp\\x",
        "AdditionalAttributes": {"$values": [{"Name": "JoinDate", "Value": "1999-12-31T00:00:00"}]},
        **extra,
    }
    row = parse_party(record, Ctx("party", imis_id, ZoneInfo("America/New_York")))
    return row, encode_raw(record)


def test_writer_round_trips_backslashes_tabs_newlines_and_unicode():
    writer = MirrorWriter(ImisParty)
    row, raw = _row("1", TRICKY)
    created, updated, unchanged = writer.write([writer.prepare(row, raw)], now=timezone.now())
    assert (created, updated, unchanged) == (1, 0, 0)
    party = ImisParty.objects.get(imis_id="1")
    assert party.name == TRICKY
    assert party.raw["Name"] == TRICKY and party.raw["Note"] == "C:\\temp\\x"
    assert party.join_date == date(1999, 12, 31)
    assert party.is_member is None


def test_writer_counts_new_changed_and_unchanged_and_last_duplicate_wins():
    writer = MirrorWriter(ImisParty)
    first = [writer.prepare(*_row(str(i), f"Member {i}")) for i in range(5)]
    assert writer.write(first, now=timezone.now()) == (5, 0, 0)
    again = [writer.prepare(*_row(str(i), f"Member {i}")) for i in range(5)]
    again.append(writer.prepare(*_row("2", "Renamed", Balance=Decimal("1.50").__str__())))
    assert writer.write(again, now=timezone.now()) == (0, 1, 4)
    assert ImisParty.objects.get(imis_id="2").name == "Renamed"
    assert ImisParty.objects.count() == 5


def test_writer_revives_a_row_marked_deleted_when_it_comes_back():
    writer = MirrorWriter(ImisParty)
    writer.write([writer.prepare(*_row("7", "Back Again"))], now=timezone.now())
    assert writer.mark_missing_deleted(set(), now=timezone.now()) == 1
    writer.write([writer.prepare(*_row("7", "Back Again"))], now=timezone.now())
    assert ImisParty.objects.get(imis_id="7").deleted_at is None
