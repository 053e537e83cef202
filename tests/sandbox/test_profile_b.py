"""Profile b: another association - other lapse causes, base rate, codes, and renewals cancelled
or written off when they lapse - drawn deterministically beside the default one."""

import numpy as np
import orjson
import pytest

from sandbox.imis import generate
from sandbox.imis.entities import ENTITIES


@pytest.fixture(scope="module")
def b():
    return generate(1500, seed=4, profile="b")


def _served(assoc, entity: str) -> list[dict]:
    spec = ENTITIES[entity]
    return [orjson.loads(r) for r in spec.serializer(assoc, np.arange(assoc.tables[spec.table].n))]


def test_profile_b_is_another_association_drawn_deterministically(b):
    again = generate(1500, seed=4, profile="b")
    default = generate(1500, seed=4)
    assert b.truth.terms.equals(again.truth.terms)
    assert not b.truth.terms[["p_lapse"]].equals(default.truth.terms[["p_lapse"]])
    closed_b = b.truth.terms[b.truth.terms["closed"]]
    closed_d = default.truth.terms[default.truth.terms["closed"]]
    # another base rate, and drivers of its own beside each term
    assert closed_b["lapsed"].mean() > closed_d["lapsed"].mean() + 0.04
    assert {"engagement_fall", "card_declines", "member_type_changed"} <= set(closed_b.columns)
    with pytest.raises(ValueError, match="unknown profile 'c': one of default, b"):
        generate(10, profile="c")


def test_profile_b_serves_its_own_codes_and_logs_card_declines(b):
    types = {
        p["Properties"]["$values"][0]["Value"]
        for p in _served(b, "activity")
        if p["Properties"]["$values"][0].get("Value")
    }
    assert {"PORTAL_LOGIN", "ENEWS_OPEN", "FORUM_POST", "SUBPAY", "PAYFAIL"} <= types
    assert not types & {"WEBLOGIN", "DUES"}
    items = {i["ItemCode"] for i in _served(b, "item")}
    assert items == {"MBR-REG", "MBR-STU", "MBR-RET", "MBR-EARLY", "MBR-CORP", "MBR-AFF"}


def test_profile_b_cancels_or_writes_off_a_lapsed_renewal(b):
    lapsed = b.truth.terms[b.truth.terms["lapsed"] & b.truth.terms["closed"]]
    invoices = {i["InvoiceId"]: i for i in _served(b, "invoicesummary")}
    cancelled = invoices[lapsed["invoice_id"].iloc[0]]
    assert cancelled["Balance"]["Amount"] == 0
    paid = cancelled["PaymentAmount"]["Amount"]
    unpaid = cancelled["InvoiceAmount"]["Amount"] - paid
    assert cancelled["AdjustmentAmount"]["Amount"] == pytest.approx(-unpaid)
    assert cancelled["Note"] == (
        "Balance written off - member did not renew" if paid else "Cancelled - member did not renew"
    )
    # renewed invoices carry no note at all (nor do any of the default profile's)
    renewed = b.truth.terms[~b.truth.terms["lapsed"]]["invoice_id"].iloc[0]
    assert not invoices[renewed].get("Note")  # none, or empty


def test_profile_b_time_moves_on_with_its_own_rules(b):
    assoc = generate(400, seed=9, profile="b")
    before = int((assoc.invoices.col("note") != "").sum())
    assoc.advance(120)
    assert int((assoc.invoices.col("note") != "").sum()) > before


def test_profile_b_serves_married_members_former_surname_as_the_parser_reads_it(b):
    from zoneinfo import ZoneInfo

    from imis_client.contracts import Ctx
    from imis_client.contracts.parsers import parse_party
    from imis_client.contracts.wire import record_decoder
    from sandbox.imis.profile_b import FORMER_NAME_ATTRIBUTE

    spec = ENTITIES["party"]
    raw = spec.serializer(b, np.arange(b.tables[spec.table].n))
    decode, tz = record_decoder("party"), ZoneInfo("America/New_York")
    rows = [parse_party(decode(r), Ctx("party", None, tz)) for r in raw]
    married = [r for r in rows if r["former_names"]]
    persons = [r for r in rows if not r["is_organization"]]
    # about one person in ten, each under a surname other than the one they had
    assert 0.06 < len(married) / len(persons) < 0.14
    assert all(r["former_names"] != r["last_name"] for r in married)
    # and the payments sandbox's book of the association knows them (its payers use them)
    from sandbox.payments import book_from_association

    book = book_from_association(b)
    assert {p.party_id for p in book.parties.values() if p.former} == {
        r["imis_id"] for r in married
    }
    assert FORMER_NAME_ATTRIBUTE == "FormerLastName"  # the product's default setting
    default = generate(300, seed=4)
    served = [orjson.loads(r) for r in spec.serializer(default, np.arange(default.parties.n))]
    assert not any(FORMER_NAME_ATTRIBUTE in orjson.dumps(p).decode() for p in served)
