"""Money: the only place that rounds. Amounts are Decimal; every rounding names its rule."""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Named rules, so a reader of any computation knows which convention applied.
HALF_UP = ROUND_HALF_UP  # invoices, prorations: what members expect on paper
BANKERS = ROUND_HALF_EVEN  # aggregates where bias matters
DOWN = ROUND_DOWN  # instalments of a plan: each rounded down, the last takes the remainder
# The rules a setting may name (the billing policy's rounding), by their setting value.
RULES = {"half_up": HALF_UP, "bankers": BANKERS}


def to_money(value, *, rule: str = HALF_UP) -> Decimal:
    """Parse and round to cents. Floats are refused: they cannot represent cents exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str, int or Decimal")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    try:
        return amount.quantize(CENT, rounding=rule)
    except InvalidOperation as exc:  # more digits than any amount has (the context's precision)
        raise ValueError(f"not an amount: {value!r} is too large") from exc


def typed_money(value) -> Decimal | None:
    """An amount as a person types it ("$1,200.50", "95"): rounded to cents, or None when blank;
    ValueError when it is not an amount."""
    text = str(value if value is not None else "").replace(",", "").replace("$", "").strip()
    return to_money(text) if text else None


def from_minor_units(minor: int) -> Decimal:
    """Cents (as payment providers send them) to a Decimal amount."""
    return (Decimal(int(minor)) / 100).quantize(CENT)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split total by weights into cents that sum exactly to total (largest remainder)."""
    total = to_money(total)
    if not weights:
        raise ValueError("allocate needs at least one weight")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("allocate needs a positive sum of weights")
    cents = int(total / CENT)
    raw = [Decimal(cents) * w / weight_sum for w in weights]
    parts = [int(r) for r in raw]  # truncation toward zero
    remainder = cents - sum(parts)
    step = 1 if remainder >= 0 else -1
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i]) * step, reverse=True)
    for i in order[: abs(remainder)]:
        parts[i] += step
    return [(Decimal(p) * CENT).quantize(CENT) for p in parts]


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """Display form, e.g. $1,234.50 or -$12.00."""
    amount = to_money(amount)
    sign = "-" if amount < 0 else ""
    symbol = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    return f"{sign}{symbol}{abs(amount):,.2f}"
