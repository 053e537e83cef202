"""Payment matching: memo forms, names, amounts, organisations, and payments that are no one's."""

from datetime import date
from decimal import Decimal

import pytest

from dues.matching import (
    DEFAULT_AUTO_THRESHOLD,
    OpenInvoice,
    Party,
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

    candidates, auto = _best(book, amount=D("620.00"), payer_name="John Smith",
                             memo="Inv#10234/10235")  # fmt: skip

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
    candidates, auto = _best(index, amount=D("315.00"), payer_name="SMITH, JOHN",
                             memo="INV 10234", email="jsmith@gmail.com")  # fmt: skip

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
    candidates, auto = _best(index, amount=D("460.00"), payer_name="NORTHWIND ENGINEERING",
                             method="ach")  # fmt: skip

    top = candidates[0]
    assert set(top.allocations) == {("20001", D("315.00")), ("20002", D("145.00"))}
    assert (top.member_id, top.payer_id) == ("48300", "48300")
    assert "paid by the organisation" in top.explanation
    assert auto


def test_match_organisation_naming_one_employee_pays_that_employees_invoice(index):
    candidates, _ = _best(index, amount=D("145.00"), payer_name="Northwind Engineering LLC",
                          memo="Dues Omar Evans")  # fmt: skip

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
    amounts = {"48220": "95.00", "48221": "315.00", "48222": "157.50", "48223": "85.00",
               "48226": "60.00"}  # fmt: skip

    candidates, _ = _best(index, amount=D(amounts[member]), payer_name=payer)

    assert candidates[0].member_id == member


def test_match_look_alike_duplicates_prefer_the_exact_name(index):
    candidates, _ = _best(index, amount=D("315.00"), payer_name="John Smith")

    assert [c.member_id for c in candidates[:2]] == ["48213", "48214"]
    assert candidates[0].confidence > candidates[1].confidence


def test_match_payment_that_belongs_to_no_one_is_never_applied(index):
    candidates, auto = _best(index, amount=D("45.00"), payer_name="Acme Catering LLC",
                             memo="Conference registration", method="ach")  # fmt: skip

    assert not auto
    assert all(c.confidence < 0.5 for c in candidates)


def test_match_member_paying_for_something_else_is_not_applied(index):
    candidates, auto = _best(index, amount=D("315.00"), payer_name="William Thompson",
                             memo="Conference registration")  # fmt: skip

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
    remittance = Remittance(amount=D("315.01"), payer_name="John Smith", memo="INV 10234",
                            email="jsmith@gmail.com")  # fmt: skip

    candidates = match(remittance, index)

    assert candidates[0].allocations == (("10234", D("315.00")),)
    assert candidates[0].credit == D("0.01")
    assert not auto_applicable(candidates, remittance)


def test_match_check_number_in_the_reference_is_not_read_as_an_id(index):
    candidates, _ = _best(index, amount=D("315.00"), payer_name="Ben Baker", reference="10234",
                          method="check")  # fmt: skip

    assert candidates[0].member_id != "48213"
