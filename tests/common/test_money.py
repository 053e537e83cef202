"""Money: parsing, rounding rules, and allocations that always sum to the total."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.money import BANKERS, allocate, format_money, from_minor_units, to_money


def test_to_money_rounds_half_up_by_default():
    assert to_money("10.005") == Decimal("10.01")
    assert to_money("10.005", rule=BANKERS) == Decimal("10.00")


def test_to_money_refuses_floats_and_garbage():
    with pytest.raises(TypeError, match="must not be a float"):
        to_money(0.1)
    with pytest.raises(ValueError, match="not an amount: 'abc'"):
        to_money("abc")
    with pytest.raises(ValueError, match="not an amount"):
        to_money("NaN")


def test_from_minor_units_converts_cents():
    assert from_minor_units(12345) == Decimal("123.45")
    assert from_minor_units(-50) == Decimal("-0.50")


def test_allocate_splits_a_third_exactly():
    assert allocate(Decimal("100.00"), [Decimal(1)] * 3) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


@given(
    total=st.decimals(min_value=-10000, max_value=10000, places=2),
    weights=st.lists(
        st.decimals(min_value="0.01", max_value=1000, places=2), min_size=1, max_size=8
    ),
)
def test_allocate_parts_always_sum_to_total(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == to_money(total)
    assert len(parts) == len(weights)


def test_format_money_for_people():
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-12")) == "-$12.00"


def test_an_amount_too_large_for_cents_is_refused_as_not_an_amount():
    with pytest.raises(ValueError, match="too large"):
        to_money("100000000000000000000000234.50")
