"""Renewals' reads of the mirror: tables named through the models, never by hand; days in the
site's time zone."""

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from imis_client import models as m
from renewals import selectors
from renewals.selectors import day_number
from renewals.services import load_frames
from tests.renewals import factories as f

ROOT = Path(__file__).resolve().parents[2]


def test_no_renewals_sql_names_a_mirror_table_by_hand():
    # imis_client owns the table names; a rename there must not silently break renewals
    named = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "renewals").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "imis_client_" in line
    ]
    assert named == []


def test_the_member_codes_read_the_party_table_of_the_model():
    assert selectors.MEMBER_CODES.as_string(None).count(f'"{m.ImisParty._meta.db_table}"') == 1


@pytest.mark.django_db
def test_a_late_evening_login_counts_on_the_sites_day_and_the_connection_keeps_its_zone():
    # 22:30 in the site's zone is already the next day in UTC: the read dates it by the site
    f.party("3001")
    row = f.activity("3001", "WEBLOGIN", date(2025, 3, 1), date(2025, 3, 9), date(2025, 3, 9), 4)
    evening = datetime.combine(date(2025, 3, 9), time(22, 30), ZoneInfo(settings.IMIS_TIME_ZONE))
    m.ImisActivity.objects.filter(pk=row.pk).update(transaction_date=evening)
    with connection.cursor() as cursor:
        cursor.execute("SHOW TimeZone")
        zone_before = cursor.fetchone()[0]

    frames = load_frames()

    assert frames.activity["tx_day"].tolist() == [day_number(date(2025, 3, 9))]
    assert frames.activity["type"].tolist() == ["WEBLOGIN"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW TimeZone")
        assert cursor.fetchone()[0] == zone_before
    # and Django's own reads of the same row still give the moment it happened
    assert m.ImisActivity.objects.get(pk=row.pk).transaction_date == evening
