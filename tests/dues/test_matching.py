"""Payment matching: memo forms, names, amounts, organisations, and payments that are no one's."""

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dues.matching import (
    DEFAULT_AUTO_THRESHOLD,
    OpenInvoice,
    Party,
    PastPayment,
    Remittance,
    auto_applicable,
    build_index,
    match,
)

D = Decimal


def _inv(invoice_id, member, amount, payer=None, on=date(2025, 5, 1)):
    return OpenInvoice(invoice_id, invoice_id, member, payer or member, D(amount), on)


PARTIES = [
    Party("48213", "John Smith", "John", "Smith", "jsmith@gmail.com"),
    Party("48214", "Jon Smith", "Jon", "Smith", "jon.smith@outlook.com"),
    Party("48215", "Mary Smith", "Mary", "Smith", "mary.smith@yahoo.com"),
    Party("48220", "José Núñez", "José", "Núñez", "jnunez@gmail.com"),
    Party("48221", "William Thompson", "William", "Thompson", "wthompson@aol.com"),
    Party("48222", "Anna Müller", "Anna", "Müller", ""),
    Party("48223", "Siobhan O'Brien", "Siobhan", "O'Brien", "sob@icloud.com"),
    Party(
        "48224",
        "Priya Patel",
        "Priya",
        "Patel",
        "priya.patel@northwind.example.org",
        org_id="48300",
        org_name="Northwind Engineering LLC",
    ),
    Party(
        "48225",
        "Omar Evans",
        "Omar",
        "Evans",
        "oevans@northwind.example.org",
        org_id="48300",
        org_name="Northwind Engineering LLC",
    ),
    Party("48226", "Grace Kowalczyk", "Grace", "Kowalczyk", "gk@proton.me"),
    Party("48300", "Northwind Engineering LLC", email="info@northwind.example.org", is_org=True),
] + [
    # Enough other members that names and amounts are weighed against a real-sized crowd.
    Party(str(49000 + i), f"{first} {last}", first, last, f"{first}.{last}{i}@example.com".lower())
    for i, (first, last) in enumerate(
        (f, la)
        for la in ("Baker", "Carter", "Diaz", "Ellis", "Foster", "Garcia", "Hughes", "Ito")
        for f in ("Alice", "Ben", "Carla", "Dev", "Erin", "Farid", "Gwen", "Hal")
    )
]
INVOICES = (
    [
        _inv("10234", "48213", "315.00", on=date(2025, 1, 5)),
        _inv("10240", "48214", "315.00"),
        _inv("10250", "48215", "145.00"),
        _inv("10260", "48220", "95.00"),
        _inv("10261", "48221", "315.00"),
        _inv("10262", "48222", "157.50"),
        _inv("10263", "48223", "85.00"),
        _inv("20001", "48224", "315.00", payer="48300"),
        _inv("20002", "48225", "145.00", payer="48300"),
        _inv("10264", "48226", "60.00"),
        _inv("10299", "48226", "0.00"),  # paid: never a candidate
    ]
    + [_inv(str(30000 + i), p.party_id, "315.00") for i, p in enumerate(PARTIES[11:])]
)


@pytest.fixture(scope="module")
def index():
    return build_index(INVOICES, PARTIES)


def _best(index, **fields):
    remittance = Remittance(**fields)
    candidates = match(remittance, index)
    return candidates, auto_applicable(candidates, remittance)


@pytest.mark.parametrize(
    "memo",
    ["INV 10234", "#10234", "Invoice No. 010234", "inv-10234 dues", "RMR*IV*10234**315.00\\"],
)
def test_match_reads_the_invoice_number_in_each_memo_form(index, memo):
    candidates, auto = _best(index, amount=D("315.00"), payer_name="J SMITH", memo=memo)

    assert candidates[0].allocations == (("10234", D("315.00")),)
    assert candidates[0].member_id == "48213"
    assert candidates[0].explanation.startswith("10234 in memo")
    assert auto


@pytest.mark.parametrize("memo", ["dues 2026 mbr 48213", "SMITH J 48213", "Member ID 48213"])
def test_match_reads_the_member_number_in_each_memo_form(index, memo):
    candidates, auto = _best(index, amount=D("315.00"), memo=memo, method="check")

    assert candidates[0].allocations == (("10234", D("315.00")),)
    assert "member 48213 in memo" in candidates[0].explanation
    assert auto


def test_match_one_payment_for_two_invoices_named_in_the_memo(index):
    book = build_index([*INVOICES, _inv("10235", "48213", "305.00", on=date(2024, 1, 5))], PARTIES)

    candidates, auto = _best(
        book, amount=D("620.00"), payer_name="John Smith", memo="Inv#10234/10235"
    )

    assert set(candidates[0].allocations) == {("10234", D("315.00")), ("10235", D("305.00"))}
    assert candidates[0].credit == D("0.00")
    assert auto


def test_match_a_mistyped_invoice_number_finds_the_invoice_one_keystroke_away(index):
    candidates, auto = _best(index, amount=D("315.00"), payer_name="John Smith", memo="INV 10243")

    assert candidates[0].allocations == (("10234", D("315.00")),)
    assert "10234 in memo, mistyped" in candidates[0].explanation
    assert auto


def test_match_a_mistyped_number_that_is_someone_elses_id_follows_the_name(index):
    # 10240 exists (Jon Smith's invoice) but the payer and amount are Mary Smith's.
    candidates, _ = _best(index, amount=D("145.00"), payer_name="Mary Smith", memo="INV 10240")

    assert candidates[0].member_id == "48215"
    assert candidates[0].allocations == (("10250", D("145.00")),)


def test_match_clean_payment_explains_itself_in_one_line(index):
    candidates, auto = _best(
        index,
        amount=D("315.00"),
        payer_name="SMITH, JOHN",
        memo="INV 10234",
        email="jsmith@gmail.com",
    )

    assert candidates[0].explanation == (
        "10234 in memo; payer name 100 % similar; e-mail matches; amount equals balance"
    )
    assert candidates[0].confidence > DEFAULT_AUTO_THRESHOLD
    assert auto


def test_match_partial_payment_leaves_a_shortfall_and_is_not_applied_alone(index):
    candidates, auto = _best(index, amount=D("200.00"), payer_name="John Smith", memo="INV 10234")

    top = candidates[0]
    assert top.allocations == (("10234", D("200.00")),)
    assert top.shortfall == D("115.00")
    assert top.credit == D("0.00")
    assert "partial: 115.00 still owed" in top.explanation
    assert not auto


def test_match_overpayment_leaves_credit_on_account_and_is_not_applied_alone(index):
    candidates, auto = _best(index, amount=D("365.00"), payer_name="John Smith", memo="INV 10234")

    top = candidates[0]
    assert top.allocations == (("10234", D("315.00")),)
    assert top.credit == D("50.00")
    assert top.shortfall == D("0.00")
    assert "overpaid by 50.00" in top.explanation
    assert not auto


def test_match_one_payer_paying_all_open_invoices_without_a_memo(index):
    book = build_index([*INVOICES, _inv("10235", "48213", "305.00", on=date(2024, 1, 5))], PARTIES)

    candidates, _ = _best(book, amount=D("620.00"), payer_name="John Smith")

    assert candidates[0].allocations == (("10235", D("305.00")), ("10234", D("315.00")))


def test_match_organisation_paying_for_its_employees(index):
    candidates, auto = _best(
        index, amount=D("460.00"), payer_name="NORTHWIND ENGINEERING", method="ach"
    )

    top = candidates[0]
    assert set(top.allocations) == {("20001", D("315.00")), ("20002", D("145.00"))}
    assert (top.member_id, top.payer_id) == ("48300", "48300")
    assert "paid by the organisation" in top.explanation
    assert auto


def test_match_organisation_naming_one_employee_pays_that_employees_invoice(index):
    candidates, _ = _best(
        index, amount=D("145.00"), payer_name="Northwind Engineering LLC", memo="Dues Omar Evans"
    )

    assert candidates[0].allocations == (("20002", D("145.00")),)
    assert candidates[0].member_id == "48225"


def test_match_spouse_paying_with_the_members_first_name_in_the_memo(index):
    candidates, _ = _best(index, amount=D("145.00"), payer_name="Robert Smith", memo="for Mary")

    assert candidates[0].member_id == "48215"
    assert candidates[0].allocations == (("10250", D("145.00")),)


def test_match_spouse_on_a_joint_check(index):
    candidates, _ = _best(index, amount=D("145.00"), payer_name="Robert & Mary Smith")

    assert candidates[0].member_id == "48215"


@pytest.mark.parametrize(
    ("payer", "member"),
    [
        ("JOSE NUNEZ", "48220"),  # accents dropped by the bank
        ("Núñez, José", "48220"),
        ("Bill Thompson", "48221"),  # nickname
        ("Dr. William Thompson Jr.", "48221"),  # title and suffix
        ("ANNA MUELLER", "48222"),  # umlaut written out
        ("SIOBHAN OBRIEN", "48223"),
        ("G KOWALCZYK", "48226"),  # initial
        ("Grace Kowalcyzk", "48226"),  # typing error
    ],
)
def test_match_payer_names_in_their_real_forms(index, payer, member):
    amounts = {
        "48220": "95.00",
        "48221": "315.00",
        "48222": "157.50",
        "48223": "85.00",
        "48226": "60.00",
    }

    candidates, _ = _best(index, amount=D(amounts[member]), payer_name=payer)

    assert candidates[0].member_id == member


def test_match_look_alike_duplicates_prefer_the_exact_name(index):
    candidates, _ = _best(index, amount=D("315.00"), payer_name="John Smith")

    assert [c.member_id for c in candidates[:2]] == ["48213", "48214"]
    assert candidates[0].confidence > candidates[1].confidence


def test_match_payment_that_belongs_to_no_one_is_never_applied(index):
    candidates, auto = _best(
        index,
        amount=D("45.00"),
        payer_name="Acme Catering LLC",
        memo="Conference registration",
        method="ach",
    )

    assert not auto
    assert all(c.confidence < 0.5 for c in candidates)


def test_match_member_paying_for_something_else_is_not_applied(index):
    candidates, auto = _best(
        index, amount=D("315.00"), payer_name="William Thompson", memo="Conference registration"
    )

    assert not auto
    assert candidates[0].confidence < DEFAULT_AUTO_THRESHOLD


def test_match_amount_alone_never_applies(index):
    candidates, auto = _best(index, amount=D("157.50"))

    assert not auto
    assert all(c.confidence < DEFAULT_AUTO_THRESHOLD for c in candidates)


def test_match_ranks_best_first_and_a_surname_alone_is_not_enough(index):
    candidates, auto = _best(index, amount=D("315.00"), payer_name="The Smith Family")

    confidences = [c.confidence for c in candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert [c.member_id for c in candidates[:2]] in (["48213", "48214"], ["48214", "48213"])
    assert all(0 <= c <= 0.5 for c in confidences)
    assert not auto


def test_match_abbreviated_organisation_name_and_glued_card_descriptor(index):
    org, _ = _best(index, amount=D("460.00"), payer_name="Northwind Eng")
    card, _ = _best(index, amount=D("145.00"), payer_name="PAYPAL *MARYSMITH")

    assert org[0].member_id == "48300"
    assert card[0].member_id == "48215"


def test_match_never_offers_a_paid_invoice(index):
    candidates, _ = _best(index, amount=D("60.00"), payer_name="Grace Kowalczyk", memo="INV 10299")

    assert all(i != "10299" for c in candidates for i, _ in c.allocations)


def test_auto_applicable_needs_exact_amounts_even_when_sure(index):
    remittance = Remittance(
        amount=D("315.01"), payer_name="John Smith", memo="INV 10234", email="jsmith@gmail.com"
    )

    candidates = match(remittance, index)

    assert candidates[0].allocations == (("10234", D("315.00")),)
    assert candidates[0].credit == D("0.01")
    assert not auto_applicable(candidates, remittance)


def test_match_check_number_in_the_reference_is_not_read_as_an_id(index):
    candidates, _ = _best(
        index, amount=D("315.00"), payer_name="Ben Baker", reference="10234", method="check"
    )

    assert candidates[0].member_id != "48213"


# --- who pays for whom: households, payment history, and the harder readings -----------------

RANELHAM = "Ranelham Architects"
FAMILY = [
    Party("60001", "Andrew Bexerthwaite", "Andrew", "Bexerthwaite", postal_code="02139"),
    Party("60002", "Susan Bexerthwaite", "Susan", "Bexerthwaite", postal_code="94110"),
    Party("60003", "Kyle Bexerthwaite", "Kyle", "Bexerthwaite", postal_code="60614"),
    Party("60004", "Lisa Bexerthwaite", "Lisa", "Bexerthwaite", postal_code="10001"),
    # On file without anything to pay (an event sign-up), at Andrew's address.
    Party("60005", "Oscar Bexerthwaite", "Oscar", "Bexerthwaite", postal_code="02139-4307"),
    Party("60010", "Susan Drayoford", "Susan", "Drayoford", postal_code="30301"),
    Party("60011", "Carol Mitchell", "Carol", "Mitchell"),
    Party("60012", "Megan Mitchell", "Megan", "Mitchell"),
    Party("60020", "Grace Whitcombe", "Grace", "Whitcombe"),  # billed for Tom's dues last year
    Party("60021", "Tom Ulster", "Tom", "Ulster"),
    Party("60022", "Ann Ulster", "Ann", "Ulster"),
    Party("60030", "Kevin Ranelworth", "Kevin", "Ranelworth"),
    Party("60031", "John Blackinwick", "John", "Blackinwick"),
    Party("60032", "Rebecca Blackinwick", "Rebecca", "Blackinwick"),
    Party("60033", "Lillian Blackinwick", "Lillian", "Blackinwick"),
    Party("60034", "Kevin Blackinwick", "Kevin", "Blackinwick"),
    Party("60040", "Lucía Wiśniewski", "Lucía", "Wiśniewski"),
    Party("60041", "Chloé Wiśniewski", "Chloé", "Wiśniewski"),
    Party("60042", "Connor Wiśniewski", "Connor", "Wiśniewski"),
    Party("60050", "Mohammed Smith", "Mohammed", "Smith"),
    Party("60051", "Mónica Smith-Jones", "Mónica", "Smith-Jones"),
    Party("60060", "Katherine Morris", "Katherine", "Morris"),
    Party("60061", "Walter Morris", "Walter", "Morris"),
    Party("60070", "Ranelham Architects", is_org=True),
    Party("60071", "Dana Weseling", "Dana", "Weseling", org_id="60070", org_name=RANELHAM),
    Party("60072", "Anna Presastone", "Anna", "Presastone", org_id="60070", org_name=RANELHAM),
    *PARTIES,
]
FAMILY_INVOICES = [
    _inv("71001", "60001", "315.00", on=date(2025, 3, 1)),
    _inv("71002", "60002", "315.00", on=date(2025, 5, 1)),
    _inv("71003", "60003", "315.00", on=date(2025, 4, 1)),
    _inv("71004", "60004", "315.00", on=date(2025, 2, 1)),
    _inv("71010", "60010", "50.00"),
    _inv("71011", "60011", "50.00"),
    _inv("71012", "60012", "50.00"),
    _inv("71021", "60021", "85.00"),
    _inv("71022", "60022", "85.00"),
    _inv("71030", "60030", "315.00"),
    _inv("71031", "60031", "265.00"),  # 50.00 paid on it before
    _inv("71032", "60032", "315.00"),
    _inv("71033", "60033", "315.00"),
    _inv("71034", "60034", "315.00"),
    _inv("71040", "60040", "165.00"),
    _inv("71041", "60041", "315.00"),
    _inv("71042", "60042", "315.00"),
    _inv("71050", "60050", "315.00"),
    _inv("71051", "60051", "315.00"),
    _inv("71060", "60060", "315.00"),
    _inv("71061", "60061", "315.00"),
    _inv("80012", "49000", "60.00"),
    _inv("80031", "49001", "60.00"),
    _inv("80020", "49002", "60.00"),
    _inv("80002", "49003", "50.00"),
    *INVOICES,
]
HISTORY = [
    # Last year's payments as the product applied them.
    PastPayment("60010", payer_name="DYLAN MITCHELL", paid_on=date(2024, 6, 2)),
    PastPayment("60002", payer_name="", email="kc.family@example.net", paid_on=date(2024, 5, 9)),
    # The mirror's billing history: Grace Whitcombe was billed for Tom's dues.
    PastPayment("60021", payer_id="60020", paid_on=date(2024, 4, 1)),
]


@pytest.fixture(scope="module")
def family():
    return build_index(FAMILY_INVOICES, FAMILY, HISTORY)


def test_match_household_member_on_file_paying_points_to_the_member_they_live_with(family):
    candidates, _ = _best(
        family, amount=D("315.00"), payer_name="OSCAR BEXERTHWAITE", method="check"
    )

    top = candidates[0]
    assert top.member_id == "60001"  # same surname, same ZIP (ZIP+4 written out)
    assert "payer lives with the member (same surname and postal code)" in top.explanation
    assert top.confidence > 3 * candidates[1].confidence


def test_match_same_surname_elsewhere_is_no_household(family):
    moved = [Party("60005", "Oscar Bexerthwaite", "Oscar", "Bexerthwaite", postal_code="73301")]
    index = build_index(FAMILY_INVOICES, [*moved, *FAMILY[5:], *FAMILY[:4]], HISTORY)

    candidates, _ = _best(
        index, amount=D("315.00"), payer_name="OSCAR BEXERTHWAITE", method="check"
    )

    assert {c.member_id for c in candidates[:4]} == {"60001", "60002", "60003", "60004"}
    assert len({c.confidence for c in candidates[:4]}) == 1
    assert not any("lives with" in c.explanation for c in candidates)


def test_match_equal_candidates_show_the_newest_invoice_first(family):
    moved = [Party("60005", "Oscar Bexerthwaite", "Oscar", "Bexerthwaite")]
    index = build_index(FAMILY_INVOICES, [*moved, *FAMILY[5:], *FAMILY[:4]], HISTORY)

    candidates, _ = _best(index, amount=D("315.00"), payer_name="OSCAR BEXERTHWAITE")

    assert [c.allocations[0][0] for c in candidates[:4]] == ["71002", "71003", "71001", "71004"]


@pytest.mark.parametrize("payer", ["Dylan Mitchell", "MITCHELL, DYLAN", "D MITCHELL"])
def test_match_payer_who_paid_a_members_dues_before_pays_for_them_again(family, payer):
    candidates, _ = _best(family, amount=D("50.00"), payer_name=payer)

    top = candidates[0]
    assert top.member_id == "60010"  # not the Mitchells the surname points to
    assert "payer paid this member's dues before" in top.explanation
    assert top.confidence > candidates[1].confidence


def test_match_a_members_own_misspelt_payment_teaches_nothing(family):
    # Last year Sharon Grayling paid her own dues as "S GRAYLNG"; this "GRAYLNG SELANBURY" is
    # someone else (a Selanbury relative, the surname mistyped), not a payer of hers.
    parties = [
        *FAMILY,
        Party("60080", "Sharon Grayling", "Sharon", "Grayling"),
        *(
            Party(f"6008{i}", f"{f} Selanbury", f, "Selanbury")
            for i, f in ((1, "Emily"), (2, "Chloe"), (3, "Anna"))
        ),
    ]
    invoices = [*FAMILY_INVOICES, *(_inv(f"7108{i}", f"6008{i}", "315.00") for i in range(4))]
    index = build_index(invoices, parties, [PastPayment("60080", payer_name="S GRAYLNG")])

    candidates, _ = _best(index, amount=D("315.00"), payer_name="GRAYLNG SELANBURY")

    assert candidates[0].member_id != "60080"
    assert not any("paid this member's dues before" in c.explanation for c in candidates)


def test_match_email_used_for_a_members_payments_before(family):
    candidates, _ = _best(
        family,
        amount=D("315.00"),
        payer_name="Kim Chen",
        email="KC.Family@example.net",
        method="card",
    )

    top = candidates[0]
    assert top.member_id == "60002"
    assert "e-mail used for this member's payments before" in top.explanation


def test_match_party_billed_for_a_member_before_pays_again(family):
    candidates, _ = _best(family, amount=D("85.00"), payer_name="GRACE WHITCOMBE", method="check")

    top = candidates[0]
    assert top.member_id == "60021"
    assert "payer paid this member's dues before" in top.explanation


@pytest.mark.parametrize(
    ("payer", "amount", "member"),
    [
        ("K RAELWORTH", "315.00", "60030"),  # a letter dropped
        ("KEVNI RANELWORTH", "315.00", "60030"),  # two letters swapped in the first name
        ("Mohammed Smtih", "315.00", "60050"),
    ],
)
def test_match_surnames_with_a_typing_error_are_found(family, payer, amount, member):
    candidates, _ = _best(family, amount=D(amount), payer_name=payer)

    assert candidates[0].member_id == member


def test_match_two_letters_off_is_not_the_same_surname(family):
    candidates, _ = _best(family, amount=D("315.00"), payer_name="Lillian Blackenwock")

    assert not any(c.member_id == "60033" and c.signals["name"] == "fuzzy" for c in candidates)


def test_match_portal_reference_of_a_card_payment_is_the_invoice(family):
    # Part of 80012's 60.00 paid through the member portal; 80002 owes exactly the amount and
    # is one keystroke from the reference, as a person could have typed it on a check.
    card, _ = _best(family, amount=D("50.00"), reference="80012", method="card")
    check, _ = _best(family, amount=D("50.00"), memo="INV 80012", method="check")

    assert card[0].allocations == (("80012", D("50.00")),)
    assert card[0].confidence > 0.9
    assert all(c.confidence < 0.01 for c in card[1:])
    assert "80002" in [c.allocations[0][0] for c in check[:2]]


def test_match_a_card_reference_naming_an_invoice_is_not_second_guessed(index):
    candidates, auto = _best(index, amount=D("300.00"), reference="10234", method="card")

    assert candidates[0].allocations == (("10234", D("300.00")),)
    assert candidates[0].shortfall == D("15.00")
    assert all(c.allocations[0][0] == "10234" for c in candidates if c.confidence > 0.01)
    assert not auto


def test_match_swapped_digits_are_likelier_than_a_changed_digit(family):
    # 80021 does not exist: 80012 is two digits swapped, 80031 and 80020 one digit changed.
    candidates, _ = _best(family, amount=D("60.00"), memo="INV 80021", method="check")

    assert candidates[0].allocations == (("80012", D("60.00")),)
    assert candidates[0].confidence > candidates[1].confidence


def test_match_mistyped_number_two_invoices_fit_offers_both(family):
    # Dana owes two years of 75.00, invoices 301988 and 301989, billed to her employer; the
    # employer's "30198" is one of them with a digit left out, no telling which.
    two_years = [
        _inv("301988", "60071", "75.00", payer="60070"),
        _inv("301989", "60071", "75.00", payer="60070"),
    ]
    index = build_index([*FAMILY_INVOICES, *two_years], FAMILY, HISTORY)

    candidates, auto = _best(
        index,
        amount=D("75.00"),
        payer_name="Ranelham Architects",
        memo="invoice 30198 dues",
        method="check",
    )

    assert {c.allocations for c in candidates[:2]} == {
        (("301988", D("75.00")),),
        (("301989", D("75.00")),),
    }
    assert candidates[0].confidence == candidates[1].confidence
    assert not auto


def test_match_member_paying_a_billed_price_over_a_smaller_balance(family):
    # John owes 265.00 and pays the 315.00 price; three relatives owe exactly 315.00.
    candidates, auto = _best(
        family, amount=D("315.00"), payer_name="JOHN BLACKINWICK", memo="Dues 2025", method="check"
    )

    top = candidates[0]
    assert top.member_id == "60031"
    assert (top.allocations, top.credit) == ((("71031", D("265.00")),), D("50.00"))
    assert not auto


def test_match_a_middle_initial_is_not_a_first_initial(family):
    candidates, _ = _best(family, amount=D("190.00"), payer_name="LUCIA C WISNIEWSKI")

    chloe = next(c for c in candidates if c.member_id == "60041")
    assert candidates[0].member_id == "60040"
    assert candidates[0].credit == D("25.00")
    assert chloe.signals["name"] == "last_only"  # C is Lucía's middle initial


def test_match_part_of_a_compound_surname_counts_as_common_as_that_part(family):
    candidates, _ = _best(family, amount=D("315.00"), payer_name="M SMITH", method="ach")

    ranked = [c.member_id for c in candidates]
    assert ranked.index("60050") < ranked.index("60051")


def test_match_kathleen_is_not_katherine(family):
    candidates, auto = _best(
        family, amount=D("315.00"), payer_name="Kathleen Morris", method="card"
    )

    katherine = next(c for c in candidates if c.member_id == "60060")
    assert katherine.signals["name"] == "last_only"
    assert not auto


def test_match_card_billing_postal_code_picks_the_member_living_there(family):
    candidates, _ = _best(
        family,
        amount=D("315.00"),
        payer_name="Kenji Bexerthwaite",
        payer_postal_code="60614",
        method="card",
    )
    elsewhere, _ = _best(
        family,
        amount=D("315.00"),
        payer_name="Kenji Bexerthwaite",
        payer_postal_code="73301",
        method="card",
    )

    assert candidates[0].member_id == "60003"
    assert "payer's postal code is the member's" in candidates[0].explanation
    assert len({c.confidence for c in elsewhere[:4]}) == 1  # no one lives there: a tie


def test_match_organisation_that_paid_a_members_dues_before_pays_again(family):
    history = [*HISTORY, PastPayment("60022", payer_name="HALVERSON BRICK PARTNERS")]
    index = build_index(FAMILY_INVOICES, FAMILY, history)

    candidates, _ = _best(
        index,
        amount=D("85.00"),
        payer_name="Halverson Brick Partners LLP",
        memo="dues",
        method="check",
    )

    assert candidates[0].member_id == "60022"  # not an employee: known only from last year
    assert "payer paid this member's dues before" in candidates[0].explanation


def test_match_a_surname_cut_short_only_at_a_banks_field_length(family):
    parties = [
        *FAMILY,
        Party("60090", "Bartholomew Fenningtonworth", "Bartholomew", "Fenningtonworth"),
        Party("60091", "Dylan Kingsalow", "Dylan", "Kingsalow"),
    ]
    invoices = [
        *FAMILY_INVOICES,
        _inv("71090", "60090", "315.00"),
        _inv("71091", "60091", "315.00"),
    ]
    index = build_index(invoices, parties, HISTORY)

    cut, _ = _best(index, amount=D("315.00"), payer_name="BARTHOLOMEW FENNINGTONWOR", method="ach")
    short, _ = _best(index, amount=D("315.00"), payer_name="BRIAN KING", method="ach")

    assert cut[0].member_id == "60090"
    assert all(c.member_id != "60091" for c in short)  # "KING" is all of a short name


# --- names and numbers as people really get them wrong -----------------------------------------

CROWD = [
    Party(str(60000 + i), f"{first} {last}", first, last)
    for i, (first, last) in enumerate(
        (f, la)
        for la in ("St. John", "Wiśniewski", "Oakawick", "Åkesson", "Thornaford")
        for f in (
            "Jamal",
            "Chloé",
            "Leon",
            "Bradley",
            "Craig",
            "Sharon",
            "Logan",
            "Joseph",
            "Amy",
            "Brenda",
            "Dylan",
            "Erin",
            "Gloria",
            "Hannah",
        )
    )
]
NAMED = [
    Party("61001", "Ivan St. John", "Ivan", "St. John"),
    Party("61002", "Lucía Wiśniewski", "Lucía", "Wiśniewski"),
    Party("61003", "Simon Oakanwick", "Simon", "Oakanwick"),
    Party("61004", "Ronald Åkesson", "Ronald", "Åkesson"),
    Party("61005", "José Thornanford", "José", "Thornanford"),
]


@pytest.fixture(scope="module")
def crowd():
    # More people of each surname owe the amount, with newer invoices, than are looked up by
    # surname and amount alone (a relative paying): only the name written can find the one.
    people = [*PARTIES, *CROWD, *NAMED]
    invoices = [*INVOICES]
    invoices += [
        _inv(str(40000 + i), p.party_id, "145.00", on=date(2025, 6, 1)) for i, p in enumerate(CROWD)
    ]
    invoices += [_inv(str(41000 + i), p.party_id, "145.00") for i, p in enumerate(NAMED)]
    return build_index(invoices, people)


@pytest.mark.parametrize(
    ("payer", "member"),
    [
        ("I ST. JOHN", "61001"),  # a particle of the surname is not another first name
        ("LUCI C WISNIEWSKI", "61002"),  # a mistyped first name behind a middle initial
        ("SIMON S OAKAWICK", "61003"),  # a mistyped surname that is another family's
        ("JOSE L THORNAFORD", "61005"),  # ... with a first name close to one of that family's
        ("RONAL DAKESSON", "61004"),  # the space typed one letter early
    ],
)
def test_match_finds_the_member_behind_a_name_written_wrong(crowd, payer, member):
    candidates, _ = _best(crowd, amount=D("145.00"), payer_name=payer, method="check")

    assert member in [c.member_id for c in candidates[:3]]


def test_match_reads_a_membership_renewal_number_that_names_no_member_as_an_invoice(index):
    # "membership" announces a member number, but 102344 is one keystroke from invoice 10234
    # and from no member.
    candidates, _ = _best(
        index, amount=D("315.00"), payer_name="Acme Catering LLC", memo="Membership renewal 102344"
    )

    assert candidates[0].allocations == (("10234", D("315.00")),)
    assert "10234 in memo, mistyped" in candidates[0].explanation


def test_match_an_id_naming_an_invoice_of_another_amount_looks_one_keystroke_away():
    # 10520 is Jon Smith's 315.00 invoice (he also owes 145.00 from last year), but nothing
    # else says Jon: the 145.00 may as well be Mary Smith's 10250 with two digits swapped.
    book = build_index(
        [
            *INVOICES,
            _inv("10520", "48214", "315.00"),
            _inv("10521", "48214", "145.00", on=date(2024, 1, 5)),
        ],
        PARTIES,
    )

    candidates, _ = _best(
        book, amount=D("145.00"), payer_name="Acme Catering LLC", memo="Invoice 10520"
    )

    assert ("10250", D("145.00")) in [c.allocations[0] for c in candidates[:3]]


def test_match_an_employer_naming_its_employees_pays_something_for_each_of_them():
    org = Party("70000", "Goldingwell Partners", email="info@goldingwell.example.org", is_org=True)
    staff = [
        Party("70001", "Wayne Bramarick", "Wayne", "Bramarick", org_id="70000"),
        Party("70002", "Ana De La Cruz", "Ana", "De La Cruz", org_id="70000"),
        Party("70003", "Luis De La Cruz", "Luis", "De La Cruz", org_id="70000"),
        Party("70004", "Kim Radacott", "Kim", "Radacott", org_id="70000"),
    ]
    invoices = [
        _inv("80001", "70001", "85.00", payer="70000"),
        _inv("80002", "70002", "95.00", payer="70000"),
        _inv("80003", "70003", "85.00", payer="70000"),
        _inv("80004", "70004", "10.00", payer="70000"),
    ]
    book = build_index([*INVOICES, *invoices], [*PARTIES, org, *staff])

    candidates, _ = _best(
        book,
        amount=D("180.00"),
        payer_name="Goldingwell Partners",
        memo="Dues Wayne Bramarick, DE LA CRUZ, RADACOTT",
    )

    # 85 + 95 also makes 180, but pays nothing for Radacott; 85 + 85 + 10 pays for all three.
    assert sorted(candidates[0].allocations) == [
        ("80001", D("85.00")),
        ("80003", D("85.00")),
        ("80004", D("10.00")),
    ]


NAMED_DIFFERENTLY = [
    Party("61001", "Дмитрий Иванов", "Дмитрий", "Иванов", ""),
    Party("61002", "Αλέξανδρος Παπαδόπουλος", "Αλέξανδρος", "Παπαδόπουλος", ""),
    Party("61003", "Maria Lopez", "Maria", "Lopez", "", former_names=("Garcia",)),
    Party("61004", "John Ronald Tolkien", "John", "Tolkien", "", middle_name="Ronald"),
    Party("61005", "J. Okafor", "J.", "Okafor", ""),
    Party("61006", "Margaret Oyelaran", "Margaret", "Oyelaran", "", informal_name="Peggy"),
    Party("61007", "Sun Wei", "Wei", "Sun", ""),
    Party("61008", "Σοφία Κοξ", "Σοφία", "Κοξ", ""),
    Party("61009", "Юлия Щербакова", "Юлия", "Щербакова", ""),
    # Others of the same surnames and initials, so that a name must tell them apart.
    Party("61101", "Daria Ivanova", "Daria", "Ivanova", ""),
    Party("61102", "Olga Ivanov", "Olga", "Ivanov", ""),
    Party("61103", "Jane Tolkien", "Jane", "Tolkien", ""),
    Party("61104", "Kemi Okafor", "Kemi", "Okafor", ""),
    Party("61105", "Luis Garcia", "Luis", "Garcia", ""),
    Party("61106", "Mei Sun", "Mei", "Sun", ""),
]


@pytest.fixture(scope="module")
def differently():
    parties = [*PARTIES, *NAMED_DIFFERENTLY]
    invoices = [
        *INVOICES,
        *(_inv(str(70000 + i), p.party_id, "240.00") for i, p in enumerate(NAMED_DIFFERENTLY)),
    ]
    return build_index(invoices, parties)


@pytest.mark.parametrize(
    ("payer", "member"),
    [
        ("DMITRY IVANOV", "61001"),  # Cyrillic on file, another transliteration on the check
        ("IVANOV DMITRII", "61001"),  # and the other order
        ("Alexandros Papadopoulos", "61002"),  # Greek on file
        ("MARIA GARCIA", "61003"),  # her former (maiden) name
        ("Maria Garcia Lopez", "61003"),
        ("J R TOLKIEN", "61004"),  # initials of the given and middle names
        ("JR TOLKIEN", "61004"),  # run together
        ("Mr. John Tolkien", "61004"),  # honorific
        ("Ronald Tolkien John", "61004"),  # every order
        ("Joseph Okafor", "61005"),  # the record holds only the initial
        ("PEGGY OYELARAN", "61006"),  # the informal name on file
        ("WEI SUN", "61007"),
        ("SUN WEI", "61007"),
        ("SOFIA KOKS", "61008"),  # another system's spelling of each letter
        ("IULIIA SCHERBAKOVA", "61009"),
    ],
)
def test_match_names_written_differently_from_the_record(differently, payer, member):
    # when a check of the member's amount arrives under the name as the payer wrote it
    candidates = match(Remittance(amount=D("240.00"), payer_name=payer), differently)
    # then the member is the first candidate
    assert candidates and candidates[0].member_id == member, [
        (c.member_id, c.confidence, c.explanation) for c in candidates[:3]
    ]


def _two_years_owed(tie_rule: str):
    invoices = [
        *INVOICES,
        _inv("80001", "48221", "240.00", on=date(2024, 5, 1)),
        _inv("80002", "48221", "240.00", on=date(2025, 5, 1)),
    ]
    return build_index(invoices, PARTIES, tie_rule=tie_rule)


def test_match_two_open_invoices_of_the_amount_are_both_proposed_and_none_applied():
    # given a member owing last year's and this year's dues at one price
    index = _two_years_owed("propose")
    # when the member pays that price with no invoice number
    remittance = Remittance(amount=D("240.00"), payer_name="William Thompson")
    candidates = match(remittance, index)
    # then both invoices are proposed, equally, and neither is applied alone
    assert {c.allocations[0][0] for c in candidates[:2]} == {"80001", "80002"}
    assert candidates[0].confidence == candidates[1].confidence < 0.6
    assert not auto_applicable(candidates, remittance)
    assert "2 open invoices of 240.00: a person chooses" in candidates[0].explanation


@pytest.mark.parametrize(
    ("rule", "invoice", "words"),
    [("oldest", "80001", "the oldest"), ("current", "80002", "the current term's")],
)
def test_match_two_open_invoices_of_the_amount_by_the_managers_rule(rule, invoice, words):
    index = _two_years_owed(rule)
    remittance = Remittance(amount=D("240.00"), payer_name="William Thompson")
    candidates = match(remittance, index)
    assert [i for i, _ in candidates[0].allocations] == [invoice]
    assert candidates[0].explanation.endswith(
        f"2 open invoices of 240.00: {words}, by the policy's rule"
    )
    assert auto_applicable(candidates, remittance)


# Middle names on file: most persons' middle names begin with A, one with Q.
MIDDLES = [
    Party("62001", "Peter Quincy Albright", "Peter", "Albright", "", middle_name="Quincy"),
    Party("62002", "Paul Albright", "Paul", "Albright", ""),
    Party("62003", "Peter Adam Brightwell", "Peter", "Brightwell", "", middle_name="Adam"),
    Party("62004", "Paul Brightwell", "Paul", "Brightwell", ""),
    Party("62005", "Susan Quinn Grimenfield", "Susan", "Grimenfield", "", middle_name="Quinn"),
    Party("62006", "Susan Grimenfield", "Susan", "Grimenfield", "", middle_name="Anne"),
    *(
        Party(str(62100 + i), f"Ann {m} Crowder{i}", "Ann", f"Crowder{i}", "", middle_name=m)
        for i, m in enumerate(["Alice", "Amy", "Abel", "Anne", "Arthur"] * 6)
    ),
]


@pytest.fixture(scope="module")
def middles():
    invoices = [
        *INVOICES,
        *(_inv(str(72000 + i), p.party_id, "315.00") for i, p in enumerate(MIDDLES[:6])),
    ]
    return build_index(invoices, [*PARTIES, *MIDDLES])


def test_match_the_middle_initial_written_tells_two_namesakes_apart(middles):
    # when Susan Q. Grimenfield's check comes with her middle initial, and a namesake whose
    # middle name is Anne owes the same
    candidates, _ = _best(middles, amount=D("315.00"), payer_name="SUSAN Q GRIMENFIELD")

    # then she is first, well ahead of the namesake
    assert candidates[0].member_id == "62005"
    other = next(c for c in candidates if c.member_id == "62006")
    assert candidates[0].confidence > 5 * other.confidence


def test_match_a_rare_middle_initial_agreeing_counts_for_more_than_a_common_one(middles):
    # Q begins one middle name on file, A most of them: both initials agree each time
    rare, _ = _best(middles, amount=D("315.00"), payer_name="P Q ALBRIGHT", method="ach")
    common, _ = _best(middles, amount=D("315.00"), payer_name="P A BRIGHTWELL", method="ach")

    assert rare[0].member_id == "62001" and common[0].member_id == "62003"
    assert rare[0].confidence > common[0].confidence


@pytest.mark.parametrize(
    ("payer", "kind"),
    [("ALEX PEMBERWICK", "last_only"), ("SANDY PEMBERWICK", "full")],
)
def test_match_alex_is_not_sandra_though_both_are_short_for_alexandra(payer, kind):
    parties = [*PARTIES, Party("63001", "Sandra Pemberwick", "Sandra", "Pemberwick", "")]
    book = build_index([*INVOICES, _inv("73001", "63001", "315.00")], parties)

    candidates = match(Remittance(amount=D("315.00"), payer_name=payer), book)

    sandra = next(c for c in candidates if c.member_id == "63001")
    assert sandra.signals["name"] == kind


def _thomases_book():
    """Fifty members named Thomas (one on file in Greek letters), and Thomas Aldingley."""
    firsts = ["Anna", "Ben", "Carla", "Dev", "Erin", "Farid", "Gwen", "Hal", "Ines", "Jon"]
    thomases = [
        Party(str(64000 + i), f"{firsts[i % 10]} Thomas", firsts[i % 10], "Thomas", "")
        for i in range(50)
    ]
    parties = [
        *PARTIES,
        *thomases,
        Party("64100", "Γιώργος Θομας", "Γιώργος", "Θομας", ""),
        Party("64101", "Thomas Aldingley", "Thomas", "Aldingley", ""),
    ]
    invoices = [
        *INVOICES,
        *(_inv(str(74000 + i), p.party_id, "315.00") for i, p in enumerate(thomases)),
        _inv("74101", "64101", "315.00"),
    ]
    return build_index(invoices, parties)


_THOMAS_ALDINGLEY = """
from decimal import Decimal
from dues.matching import Remittance, match
from tests.dues.test_matching import _thomases_book
payment = Remittance(amount=Decimal("315.00"), payer_name="Thomas Aldingley")
top = match(payment, _thomases_book())[0]
print(top.member_id, top.signals["name"])
"""


def test_match_a_first_name_that_is_a_common_surname_does_not_crowd_out_the_member():
    # Each process reads the payer's words in its own order unless matching fixes one: the
    # same payment must find the member in every process (here: eight hash seeds).
    root = Path(__file__).resolve().parents[2]
    found = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(root)}
        run = subprocess.run(
            [sys.executable, "-c", _THOMAS_ALDINGLEY],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        found.add(run.stdout.strip())

    assert found == {"64101 full"}


def test_match_initials_of_given_and_middle_names_that_begin_alike():
    # Adrian A. Marshelmont writes "A A MARSHELMONT"; Crystal Marshelmont owes the same
    parties = [
        *PARTIES,
        Party("65001", "Adrian Marshelmont", "Adrian", "Marshelmont", "", middle_name="A."),
        Party("65002", "Crystal Marshelmont", "Crystal", "Marshelmont", ""),
    ]
    invoices = [*INVOICES, _inv("75001", "65001", "85.00"), _inv("75002", "65002", "85.00")]
    book = build_index(invoices, parties)

    candidates = match(Remittance(amount=D("85.00"), payer_name="A A MARSHELMONT"), book)

    assert candidates[0].member_id == "65001"
    assert candidates[0].signals["name"] == "initial"


INITIALS = [
    Party("62001", "Caroline Oakener", "Caroline", "Oakener", ""),
    Party("62002", "Allison Oakener", "Allison", "Oakener", ""),
    Party("62003", "Betty Weserrick", "Betty", "Weserrick", ""),
    Party("62004", "Erin Weserrick", "Erin", "Weserrick", ""),
]


@pytest.mark.parametrize(
    ("payer", "member", "other"),
    [
        ("C A OAKENER", "62001", "62002"),  # Caroline A. Oakener, not Allison
        ("A C OAKENER", "62002", "62001"),
        ("OAKENER C A", "62001", "62002"),  # surname first: the given name's initial still first
        ("B E WESERRICK", "62003", "62004"),
        ("E B WESERRICK", "62004", "62003"),
    ],
)
def test_the_first_initial_written_is_the_given_names(payer, member, other):
    # Two of one surname owe the same; the payer writes a given name's and a middle name's
    # initials, and no middle name is on file for either.
    book = build_index(
        [
            *INVOICES,
            *(_inv(str(72000 + i), p.party_id, "240.00") for i, p in enumerate(INITIALS)),
        ],
        [*PARTIES, *INITIALS],
    )
    candidates = match(Remittance(amount=D("240.00"), payer_name=payer, method="check"), book)

    assert candidates[0].member_id == member
    second = next(c for c in candidates if c.member_id == other)
    assert second.confidence < candidates[0].confidence / 5


def test_one_word_and_an_initial_is_a_persons_name_not_an_organisations():
    # Susan Talamont owes 240.00; so does Ian Fairlow, whose employer is Talamont Labs. "S TALAMONT"
    # is how a person's name is written; "TALAMONT LABS" (or cut, "TALAMONT LABS C") is the firm.
    people = [
        Party("63000", "Talamont Labs", is_org=True),
        Party("63001", "Ian Fairlow", "Ian", "Fairlow", org_id="63000", org_name="Talamont Labs"),
        Party("63002", "Susan Talamont", "Susan", "Talamont", ""),
    ]
    book = build_index(
        [*INVOICES, _inv("73001", "63001", "240.00"), _inv("73002", "63002", "240.00")],
        [*PARTIES, *people],
    )

    def best(payer):
        remittance = Remittance(amount=D("240.00"), payer_name=payer, method="check")
        found = match(remittance, book)
        return found[0].member_id, found[0].confidence, auto_applicable(found, remittance)

    member, confidence, applied = best("S TALAMONT")
    assert member == "63002" and confidence >= DEFAULT_AUTO_THRESHOLD and applied
    assert best("TALAMONT SUSAN")[0] == "63002"
    assert best("TALAMONT LABS")[0] == "63001"
    assert best("TALAMONT LABS C")[0] == "63001"


RAJ_EMAIL = "raj.g@dunelworth.example.org"


def test_a_person_paying_two_invoices_pays_their_own_not_a_colleagues():
    # Rai Grimikham owes last year's and this year's 315.00; a colleague at the same employer owes
    # 315.00 too. Rai's check for 630.00 pays Rai's two invoices: Rai's name speaks for the
    # employer paying Rai's dues, not for the employer paying Rai's and the colleague's.
    people = [
        Party("64000", "Dunelworth Partners", is_org=True),
        Party("64002", "Lena Dorsey", "Lena", "Dorsey", org_id="64000"),
        Party("64001", "Raj Grimikham", "Raj", "Grimikham", RAJ_EMAIL, "64000"),
    ]
    own = [
        _inv("74001", "64001", "315.00", on=date(2024, 5, 1)),
        _inv("74002", "64001", "315.00", on=date(2025, 5, 1)),
        _inv("74003", "64002", "315.00", on=date(2024, 3, 1)),
    ]
    remittance = Remittance(amount=D("630.00"), payer_name="Rai Grimikham", email=RAJ_EMAIL)
    for invoices in ([*INVOICES, *own], [*own[::-1], *INVOICES]):
        found = match(remittance, build_index(invoices, [*PARTIES, *people], tie_rule="oldest"))

        assert sorted(i for i, _ in found[0].allocations) == ["74001", "74002"]
        assert auto_applicable(found, remittance)


WOODS = [
    Party("65001", "Janet Wood", "Janet", "Wood", "", postal_code="02139"),
    # Woods at other addresses owing the same, and other Janets: both common in the book.
    *(
        Party(str(65010 + n), f"{first} Wood", first, "Wood", "", postal_code=f"9411{n}")
        for n, first in enumerate(("Laura", "Ruth", "Omar", "Priya", "Hugo", "Ines"))
    ),
    *(
        Party(str(65020 + n), f"Janet {last}", "Janet", last, "")
        for n, last in enumerate(("Ames", "Boyd", "Cruz", "Dunn", "Egan", "Ford", "Gill", "Hale"))
    ),
]


def _woods(parties):
    # and a crowd of others, so that names are weighed against a book of some size
    crowd = [Party(str(66000 + n), f"Alex Crowd{n}", "Alex", f"Crowd{n}", "") for n in range(400)]
    invoices = [_inv(str(75000 + n), p.party_id, "315.00") for n, p in enumerate(parties[:7])]
    invoices += [_inv(str(75100 + n), p.party_id, "95.00") for n, p in enumerate(parties[7:])]
    invoices += [_inv(str(76000 + n), p.party_id, "50.00") for n, p in enumerate(crowd)]
    return build_index([*INVOICES, *invoices], [*PARTIES, *parties, *crowd])


def test_a_payer_on_file_elsewhere_is_not_taken_for_a_relative_paying():
    # Janet Wood and six other Woods owe 315.00, each at another address. A check from "WOOD
    # JANET" is Janet paying her own dues: that Janet, on file elsewhere, paid another Wood's
    # instead is a far smaller chance than a relative living with that Wood would be.
    remittance = Remittance(amount=D("315.00"), payer_name="WOOD JANET", method="check")
    found = match(remittance, _woods(WOODS))

    assert found[0].member_id == "65001" and auto_applicable(found, remittance)
    assert all(c.confidence < 0.001 for c in found[1:])
    # When Laura Wood lives with Janet, Janet may well be paying for her: Laura stays a
    # candidate worth a look, the Woods elsewhere do not.
    laura = Party("65010", "Laura Wood", "Laura", "Wood", "", postal_code="02139")
    found = match(remittance, _woods([WOODS[0], laura, *WOODS[2:]]))
    by_member = {c.member_id: c.confidence for c in found}
    assert found[0].member_id == "65001"
    assert by_member["65010"] > 3 * by_member["65011"]
