"""CSV bank files read into receipts, each error tied to its line (no ORM here).

Columns (header row required, any order, case-insensitive): ``date`` (YYYY-MM-DD or
MM/DD/YYYY), ``amount`` (e.g. 1,234.50 or $120.00), ``payer name``, ``reference``, ``memo``,
``method`` (check, ach, card, wire, cash or blank); optional ``email``, ``postal code`` (the
payer's, e.g. a card's billing ZIP) and ``currency``. A line with neither payer name, reference
nor memo is money all the same: it is imported, with a warning, for a person to place.
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

from common.money import to_money
from dues.intake.receipts import LineKeys, ParseResult, Receipt

CSV_COLUMNS = ("date", "amount", "payer name", "reference", "memo", "method")
_ALIASES = {
    "date": "date",
    "received": "date",
    "received_on": "date",
    "amount": "amount",
    "payer_name": "payer_name",
    "payer": "payer_name",
    "name": "payer_name",
    "reference": "reference",
    "ref": "reference",
    "memo": "memo",
    "description": "memo",
    "remittance": "memo",
    "method": "method",
    "payment_method": "method",
    "email": "email",
    "payer_email": "email",
    "postal_code": "postal_code",
    "postal": "postal_code",
    "postcode": "postal_code",
    "zip": "postal_code",
    "zip_code": "postal_code",
    "zipcode": "postal_code",
    "payer_postal_code": "postal_code",
    "billing_zip": "postal_code",
    "currency": "currency",
}
_METHODS = {
    "check": "check",
    "cheque": "check",
    "chk": "check",
    "ach": "ach",
    "eft": "ach",
    "card": "card",
    "credit card": "card",
    "cc": "card",
    "visa": "card",
    "mastercard": "card",
    "amex": "card",
    "wire": "wire",
    "cash": "cash",
    "": "other",
    "other": "other",
}


def _csv_date(value: str) -> date:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"the date {value!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def _csv_amount(value: str) -> Decimal:
    text = value.strip().replace("$", "").replace(",", "").replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", text):
        raise ValueError(f"the amount {value.strip()!r} is not an amount like 1,234.50")
    amount = to_money(text)
    if negative or amount <= 0:
        raise ValueError(f"the amount {value.strip()!r} must be more than zero")
    return amount


def parse_csv(text: str) -> ParseResult:
    result = ParseResult("csv")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="": the csv module reads the line ends itself (a lone \r is one, as in old Macs')
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        result.fatal = (
            f"Line 1 could not be read as CSV ({exc}); the first row must name the columns."
        )
        return result
    if not header:
        result.fatal = "The file is empty."
        return result
    columns = [_ALIASES.get(re.sub(r"[\s\-]+", "_", h.strip().lower())) for h in header]
    missing = [c for c in ("date", "amount", "payer_name") if c not in columns]
    if missing:
        result.fatal = (
            "The first row must name the columns "
            + ", ".join(CSV_COLUMNS)
            + f"; missing: {', '.join(m.replace('_', ' ') for m in missing)}."
        )
        return result
    keys = LineKeys()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.error(reader.line_num, f"the line could not be read as CSV ({exc})")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns) if c}
        problems = []
        try:
            received_on = _csv_date(values.get("date", ""))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            amount = _csv_amount(values.get("amount", ""))
        except ValueError as exc:
            problems.append(str(exc))
        method = _METHODS.get(values.get("method", "").lower())
        if method is None:
            problems.append(
                f"the method {values['method']!r} is not one of check, ach, card, wire, cash "
                "(or blank)"
            )
        if problems:
            result.error(line, "; ".join(problems))
            continue
        if not values.get("payer_name") and not values.get("reference") and not values.get("memo"):
            result.warnings.append(
                {
                    "line": line,
                    "warning": "no payer name, reference or memo: imported for a person to place",
                }
            )
        result.lines.append(
            Receipt(
                line=line,
                amount=amount,
                received_on=received_on,
                payer_name=values.get("payer_name", "")[:300],
                payer_email=values.get("email", "")[:254],
                payer_postal_code=values.get("postal_code", "")[:20],
                memo=values.get("memo", "")[:2000],
                reference=values.get("reference", "")[:200],
                method=method,
                currency=(values.get("currency") or "USD").upper()[:3],
                dedupe_key=keys(
                    received_on,
                    amount,
                    values.get("payer_name", ""),
                    values.get("reference", ""),
                    values.get("memo", ""),
                    method,
                ),
                raw={"line": line, "row": dict(zip(header, row, strict=False))},
            )
        )
    return result
