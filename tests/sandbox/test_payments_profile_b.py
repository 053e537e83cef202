"""Profile b of the payments sandbox: names written further from the record, organisations paying
for employees billed one by one, two open invoices of one amount; the default stays as it was."""

import dataclasses

from sandbox.payments import generate_payments, synthetic_book
from sandbox.payments.profile_b import in_script, transliterate


def test_profile_b_is_deterministic_and_leaves_the_default_profile_alone():
    default = generate_payments(synthetic_book(4000, seed=5), 300, seed=5)
    again = generate_payments(synthetic_book(4000, seed=5, profile="default"), 300, seed=5)
    hard = generate_payments(synthetic_book(4000, seed=5, profile="b"), 300, seed=5)
    hard_again = generate_payments(synthetic_book(4000, seed=5, profile="b"), 300, seed=5)
    assert [dataclasses.astuple(p) for p in default] == [dataclasses.astuple(p) for p in again]
    assert [dataclasses.astuple(p) for p in hard] == [dataclasses.astuple(p) for p in hard_again]
    assert "employer_employees" not in {p.scenario for p in default}


def test_profile_b_book_holds_other_scripts_former_names_and_twin_invoices():
    book = synthetic_book(6000, seed=2, profile="b")
    persons = [p for p in book.parties.values() if not p.is_org]
    native = [p for p in persons if not p.last.isascii()]
    married = [p for p in persons if p.former]
    assert 0.05 < len(native) / len(persons) < 0.15
    assert 0.05 < len(married) / len(persons) < 0.15
    twins = [
        invs
        for invs in book.by_member.values()
        if len(invs) == 2 and invs[0].balance == invs[1].balance
    ]
    assert twins


def test_profile_b_payers_write_transliterations_former_names_and_initials():
    book = synthetic_book(6000, seed=2, profile="b")
    payments = generate_payments(book, 1500, seed=2)
    own = [p for p in payments if p.scenario == "self" and p.payer_name]
    names = {p.truth_member: p.payer_name for p in own}
    assert any(
        book.parties[m].former and book.parties[m].former[0].upper() in n.upper()
        for m, n in names.items()
    )
    assert any(not book.parties[m].last.isascii() and n.isascii() for m, n in names.items())
    employers = [p for p in payments if p.scenario == "employer_employees"]
    assert employers and all(len(p.truth_allocations) >= 2 for p in employers)


def test_transliteration_spells_a_name_several_ways():
    import random

    rng = random.Random(3)
    spellings = {transliterate("Дмитрий", rng) for _ in range(30)}
    assert {"Dmitriy", "Dmitry", "Dmitrij"} <= spellings
    assert in_script("Ashley", cyrillic=True) == "Ашлей"
