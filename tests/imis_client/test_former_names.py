"""A party's former surnames (a maiden name) from the site's custom attribute.

iMIS has no standard field for them; ``IMIS_FORMER_NAME_ATTRIBUTE`` names the AdditionalAttributes
property a site keeps them in. The record is read as a sync reads it: decoded for its parser
(contracts.wire), then parsed.
"""

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from imis_client.contracts import Ctx
from imis_client.contracts import parsers as p
from imis_client.contracts.wire import record_decoder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imis"
PROP = "Asi.Soa.Core.DataContracts.GenericPropertyData, Asi.Contracts"


def person_with(name: str, value) -> dict:
    """ASI's PersonData sample (surname Marlowe) with one more attribute."""
    record = json.loads((FIXTURES / "PersonData.json").read_text())
    record["AdditionalAttributes"]["$values"].append({"$type": PROP, "Name": name, "Value": value})
    return record


def parsed(record: dict) -> dict:
    decoded = record_decoder("party")(orjson.dumps(record))
    return p.parse_party(decoded, Ctx("party", "253", ZoneInfo("America/New_York")))


def test_the_former_surname_is_read_from_the_default_attribute():
    assert parsed(person_with("FormerLastName", "Garcia"))["former_names"] == "Garcia"


def test_a_party_without_the_attribute_has_no_former_name():
    row = parsed(json.loads((FIXTURES / "PersonData.json").read_text()))
    assert row["former_names"] == "" and row["last_name"] == "Marlowe"


def test_several_former_names_are_kept_apart_without_repeats_or_the_current_one():
    row = parsed(person_with("FormerLastName", " Garcia ; Lopez, garcia / Marlowe ;"))
    assert row["former_names"] == "Garcia; Lopez"


def test_a_boxed_or_listed_value_is_read_too():
    boxed = {"$type": "System.String", "$value": "Nguyen"}
    assert parsed(person_with("FormerLastName", boxed))["former_names"] == "Nguyen"
    listed = {
        "$type": "System.Collections.Generic.List`1[[System.String]]",
        "$values": ["Ng", "Le"],
    }
    assert parsed(person_with("FormerLastName", listed))["former_names"] == "Ng; Le"


def test_the_site_names_its_own_attribute(settings):
    settings.IMIS_FORMER_NAME_ATTRIBUTE = "MaidenName"
    record = person_with("MaidenName", "Okafor")
    record["AdditionalAttributes"]["$values"].append(
        {"$type": PROP, "Name": "FormerLastName", "Value": "Reyes"}
    )
    assert parsed(record)["former_names"] == "Okafor"
    settings.IMIS_FORMER_NAME_ATTRIBUTE = ""
    assert parsed(record)["former_names"] == ""


def test_a_value_that_is_no_name_does_not_keep_the_party_out(settings):
    settings.IMIS_FORMER_NAME_ATTRIBUTE = "IsMemberRecord"  # a flag, named by mistake
    row = parsed(person_with("FormerLastName", "Garcia"))
    assert row["former_names"] == "" and row["imis_id"] == "253"
