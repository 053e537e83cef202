"""Renewals' reads of the mirror name its tables through the models, never by hand."""

from pathlib import Path

from imis_client import models as m
from renewals import selectors

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
