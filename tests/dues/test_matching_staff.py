"""Payment matching: an organisation's memo naming the employees it pays for, as accounts payable
writes them (initials, surname first, typos, transliterated, a list cut by the bank's field)."""

from datetime import date
from decimal import Decimal

import pytest

from dues.matching import OpenInvoice, Party, Remittance, auto_applicable, build_index, match
from dues.matching.staff import memo_entries, named_staff

D = Decimal
ORG = "70000"


def _inv(invoice_id, member, amount, on=date(2026, 5, 1)):
    # Employees billed one by one, each to themselves: the organisation is billed nothing.
    return OpenInvoice(invoice_id, invoice_id, member, member, D(amount), on)


STAFF = [
    Party("70001", "Kim Clark", "Kim", "Clark", org_id=ORG),
    Party("70002", "Mark Clark", "Mark", "Clark", org_id=ORG),
    Party("70003", "Mira Aldelfield", "Mira", "Aldelfield", org_id=ORG),
    Party("70004", "Tom Oyelaran", "Thomas", "Oyelaran", org_id=ORG, informal_name="Tom"),
    Party("70005", "Sophie Brennan-Walsh", "Sophie", "Brennan-Walsh", org_id=ORG),
    Party("70006", "Дмитрий Иванов", "Дмитрий", "Иванов", org_id=ORG),
    Party("70007", "Grace Kowalczyk", "Grace", "Kowalczyk", org_id=ORG),
]
PARTIES = [
    Party(ORG, "Quenener Consulting LLC", email="ap@quenener.example.org", is_org=True),
    *STAFF,
    # A crowd, so that names and amounts are weighed against a real-sized book.
    *(
        Party(str(71000 + i), f"{first} {last}", first, last)
        for i, (first, last) in enumerate(
            (f, la)
            for la in ("Baker", "Carter", "Diaz", "Ellis", "Foster", "Clark", "Hughes", "Ito")
            for f in ("Alice", "Ben", "Carla", "Dev", "Erin", "Farid", "Gwen", "Hal")
        )
    ),
]
INVOICES = [
    _inv("80001", "70001", "95.00"),  # Kim Clark
    _inv("80002", "70002", "85.00"),  # Mark Clark
    _inv("80003", "70003", "85.00"),  # Mira Aldelfield
    _inv("80004", "70004", "180.00"),  # Tom Oyelaran
    _inv("80005", "70005", "110.00"),  # Sophie Brennan-Walsh
    _inv("80006", "70006", "120.00"),  # Dmitrij Ivanov
    _inv("80007", "70007", "60.00"),  # Grace Kowalczyk
    *(_inv(str(81000 + i), p.party_id, "315.00") for i, p in enumerate(PARTIES[len(STAFF) + 1 :])),
]


@pytest.fixture(scope="module")
def book():
    return build_index(INVOICES, PARTIES, tie_rule="oldest")


def _match(book, amount, memo, payer="QUENENER CONSULTING"):
    remittance = Remittance(amount=D(amount), payer_name=payer, memo=memo, method="ach")
    candidates = match(remittance, book)
    return candidates, auto_applicable(candidates, remittance)


def _invoices(candidate):
    return sorted(i for i, _ in candidate.allocations)


@pytest.mark.parametrize(
    "memo",
    [
        "Dues K CLARK, M ALDELFIELD",
        "DUES CLARK, K; ALDELFIELD, M",
        "Clark K / Aldelfield M",
        "Membership dues Kim Clark & Mira Aldelfield",
        "DUES K CLRAK, M ALDELFEILD",  # two typing errors, one in each surname
    ],
)
def test_only_the_named_employees_invoices_are_combined(book, memo):
    # 180.00 is also Mark Clark + Mira Aldelfield, Kim Clark + Mark Clark, and Tom Oyelaran
    # alone: only Kim Clark's and Mira Aldelfield's invoices are what the memo names.
    candidates, auto = _match(book, "180.00", memo)

    assert candidates[0].member_id == ORG
    assert _invoices(candidates[0]) == ["80001", "80003"]
    assert candidates[0].credit == D("0.00")
    assert auto


def test_a_transliterated_name_reads_as_the_employee_on_file_in_another_script(book):
    candidates, _ = _match(book, "180.00", "DUES D IVANOV, G KOVALCZYK")

    assert _invoices(candidates[0]) == ["80006", "80007"]


def test_an_initial_that_is_not_the_employees_leaves_them_out(book):
    # Kim and Mark Clark owe 95 + 85; "M CLARK" is Mark alone.
    staff = named_staff("Dues M CLARK, T OYELARAN", book, book.rows_of(ORG))

    assert staff is not None
    assert set(staff.members) == {"70002", "70004"}
    assert staff.complete

    candidates, _ = _match(book, "265.00", "Dues M CLARK, T OYELARAN")
    assert _invoices(candidates[0]) == ["80002", "80004"]


def test_a_surname_cut_short_at_the_end_of_a_long_memo_is_read(book):
    memo = "DUES K CLARK, M ALDELFIELD, S BRENNA"  # Brennan-Walsh, cut by the bank's field

    staff = named_staff(memo, book, book.rows_of(ORG))
    assert staff is not None and "70005" in staff.members
    assert not staff.complete

    candidates, _ = _match(book, "290.00", memo)
    assert _invoices(candidates[0]) == ["80001", "80003", "80005"]


def test_a_list_cut_before_its_last_name_is_made_up_by_another_employee(book):
    # The bank kept "THOMAS O" of "THOMAS OYELARAN": Kim Clark and Mira Aldelfield are named,
    # and 180.00 more is Tom Oyelaran's invoice alone among the others.
    memo = "Dues Kim Clark, Mira Aldelfield, Thomas O"

    staff = named_staff(memo, book, book.rows_of(ORG))
    assert staff is not None and not staff.complete

    candidates, _ = _match(book, "360.00", memo)
    assert _invoices(candidates[0]) == ["80001", "80003", "80004"]


def test_a_memo_naming_no_employee_names_no_one(book):
    assert named_staff("EMPLOYEE DUES 2026", book, book.rows_of(ORG)) is None
    assert named_staff("Dues Z WROBLEWSKI-NOONE", book, book.rows_of(ORG)) is None


@pytest.mark.parametrize(
    ("memo", "entries"),
    [
        ("Dues K CLARK, M ALDELFIELD", [("k", "clark"), ("m", "aldelfield")]),
        ("CLARK, K; ALDELFIELD, M", [("clark", "k"), ("aldelfield", "m")]),
        ("Dues Kim Clark & Mira Aldelfield 2026", [("kim", "clark"), ("mira", "aldelfield")]),
        ("DUES DE LA CRUZ, O'BRIEN", [("de", "la", "cruz"), ("obrien",)]),
    ],
)
def test_memo_entries_split_a_list_of_names(memo, entries):
    found, _ = memo_entries(memo)

    assert [e.words for e in found] == entries
    assert found[-1].last and not any(e.last for e in found[:-1])


def test_initials_of_names_on_file_in_another_script_are_not_held_against_them():
    # Χρήστος is written H, CH or KH by accounts payable; Юлия YU, IU or J.
    staff = [
        Party("72001", "Χρήστος Στανενστονε", "Χρήστος", "Στανενστονε", org_id=ORG),
        Party("72002", "Юлия Мартинез", "Юлия", "Мартинез", org_id=ORG),
    ]
    book = build_index(
        [*INVOICES, _inv("82001", "72001", "140.00"), _inv("82002", "72002", "150.00")],
        [*PARTIES, *staff],
        tie_rule="oldest",
    )

    found = named_staff("Dues H STANENSTONE, YU MARTINEZ", book, book.rows_of(ORG))

    assert found is not None and set(found.members) == {"72001", "72002"}
    assert found.complete


def test_every_employee_the_memo_names_counts_whatever_the_order_of_the_invoices():
    # Accounts payable lists two surnames. Each named employee owing here is one more reason to
    # believe the list: Clark alone is a common name, Clark and Aldelfield together owing what
    # was paid is no coincidence, and the payment is applied without a person. The book's order
    # of invoices (the mirror returns rows in no particular order) changes nothing.
    remittance = Remittance(
        amount=D("180.00"), payer_name="QUENENER CONSULTING", memo="Dues CLARK, ALDELFIELD"
    )
    forward = match(remittance, build_index(INVOICES, PARTIES, tie_rule="oldest"))
    backward = match(remittance, build_index(INVOICES[::-1], PARTIES, tie_rule="oldest"))

    assert _invoices(forward[0]) == _invoices(backward[0]) == ["80001", "80003"]
    assert forward[0].confidence == backward[0].confidence
    assert auto_applicable(forward, remittance) and auto_applicable(backward, remittance)
