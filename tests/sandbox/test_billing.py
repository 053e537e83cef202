"""The sandbox's billing scenarios: deterministic, every kind present, truth that adds up."""

from sandbox.imis import generate
from sandbox.imis.billing import KINDS, UNUSUAL, add_billing, half_up, months_left
from sandbox.imis.generator import DEFAULT_AS_OF


def _truth(seed=3):
    association = generate(900, seed=seed, as_of=DEFAULT_AS_OF)
    return association, add_billing(association, rate=0.01)


def test_billing_scenarios_are_deterministic_and_cover_every_kind():
    _, first = _truth()
    _, second = _truth()
    assert first.equals(second)
    assert set(first.loc[first.misbilled, "kind"]) == set(KINDS)
    assert set(UNUSUAL) <= set(first.scenario)


def test_billing_truth_of_mis_billed_invoices_differs_and_right_ones_agree():
    association, truth = _truth()
    wrong = truth[truth.misbilled]
    assert (wrong.expected_cents != wrong.billed_cents).all()
    right = truth[~truth.misbilled]
    assert (right.expected_cents == right.billed_cents).all()
    invoices = association.invoices
    for row in truth.itertuples():
        r = invoices.find(int(row.invoice_id))
        assert int(invoices.col("amount")[r]) == row.billed_cents


def test_billing_items_have_chapter_and_subscription_prices():
    association, _ = _truth()
    items = association.items
    codes = set(items.col("item_id").tolist())
    assert {"SUB/JOURNAL", "SUB/NEWS"} <= codes
    assert any(code.startswith("CHAPT/") for code in codes)
    journal = items.find("SUB/JOURNAL")
    assert items.get(journal, "item_class") == "SUBSCRIPTION"


def test_billing_arithmetic_is_the_policys():
    from datetime import date

    assert half_up(26500 * 7, 12) == 15458  # (325.00 - 60.00) x 7/12 = 154.583... -> 154.58
    assert half_up(125, 1000) == 0 and half_up(5, 10) == 1  # 0.125 -> 0; 0.5 -> 1 (half up)
    assert months_left(date(2026, 1, 1), 1, date(2026, 4, 15)) == 9
    assert months_left(date(2026, 1, 1), 1, date(2026, 4, 16)) == 8
