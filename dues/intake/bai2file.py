"""BAI2 bank files read into receipts, each error tied to its line (no ORM here).

Real BAI2 files bend the specification: records packed several to a line (split on the ``/``
terminators), a record broken across lines without an 88, missing trailing fields, continuation
(88) records, type codes no library knows. The ``bai2`` package reads each record's fields; the
file's structure is walked here record by record, so that one bad line is reported by number and
the rest of the file is still read.
"""

import re

from bai2.constants import TypeCodeTransaction
from bai2.exceptions import NotSupportedYetException
from bai2.helpers import IteratorHelper
from bai2.parsers import GroupHeaderParser, TransactionDetailParser

from common.money import format_money, from_minor_units
from dues.intake.receipts import Deposit, LineKeys, ParseResult, Receipt

_START = re.compile(r"^\s*(0[123]|16|49|88|98|99),")
_PACKED = re.compile(r"/\s*(?=(?:0[123]|16|49|88|98|99),)")
# Credits that return, reject or sweep money are not payments from members.
_NOT_A_PAYMENT = re.compile(r"return|reject|zba|concentration|reversal|correction|float", re.I)
_TAG = re.compile(r"^([A-Z]{4}):\s*(.*)$")
# Four-letter continuation tags some banks use (EREF end-to-end reference, DBNM debtor name...).
_KNOWN_TAGS = {
    "EREF",
    "CREF",
    "REMI",
    "DBNM",
    "CRNM",
    "ORNM",
    "ORIG",
    "BENE",
    "DACT",
    "DABA",
    "CACT",
    "CABA",
    "DBIC",
    "CBIC",
    "IDNM",
    "CHKN",
}
# Labelled fields inside detail text: lockbox (REMITTER, MEMO), NACHA entries (ORIG CO NAME,
# IND ID, IND NAME, ADDENDA), wires (ORIGINATOR, REF, OBI), and banks' own ("From:").
_FIELD = re.compile(
    r"\b(REMITTER|ORIG CO NAME|ORIGINATOR|ENTRY DESCR|IND ID|IND NAME|ADDENDA|MEMO|OBI|PAYER"
    r"|REF|SEC|From|Remittance Info|Client Ref ID|GS ID|Entry Description|Return Reason)\s*:"
)
_PAYER_FIELDS = ("REMITTER", "IND NAME", "ORIGINATOR", "PAYER", "ORIG CO NAME", "FROM")
_REMITTANCE_FIELDS = ("MEMO", "ADDENDA", "OBI", "REMITTANCE INFO")


LOCKBOX_DEPOSIT, LOCKBOX_ITEM = "115", "116"


class _Deposits:
    """The lockbox deposit (115) being read and the items (116) that follow it in its account.

    The items are the payments and the deposit groups them; a deposit with no items after it is
    the bank's total alone, kept to wait for the lockbox detail, never as a payment."""

    def __init__(self, result: ParseResult) -> None:
        self.result = result
        self.current: Deposit | None = None

    def open(self, deposit: Deposit) -> None:
        self.close()
        self.current = deposit

    def item(self, amount) -> str:
        """The key of the deposit an item belongs to ("" when none is open)."""
        if self.current is None:
            return ""
        self.current.items += 1
        self.current.items_total += amount
        return self.current.dedupe_key

    def close(self) -> None:
        deposit, self.current = self.current, None
        if deposit is None:
            return
        self.result.deposits.append(deposit)
        total = format_money(deposit.amount, deposit.currency)
        if not deposit.items:
            self.result.warnings.append(
                {
                    "line": deposit.line,
                    "warning": f"lockbox deposit of {total} with no items after it: kept as a "
                    "deposit waiting for the lockbox detail, not as a payment",
                }
            )
        elif deposit.items_total != deposit.amount:
            items = format_money(deposit.items_total, deposit.currency)
            self.result.warnings.append(
                {
                    "line": deposit.line,
                    "warning": f"the {deposit.items} items after the lockbox deposit of {total} "
                    f"add up to {items}: the items are kept as payments; check the deposit "
                    "against the lockbox detail",
                }
            )


def _records(text: str) -> list[list]:
    """[code, body, first physical line] per logical record; 88 records kept as their own."""
    records: list[list] = []
    for number, physical in enumerate(text.splitlines(), 1):
        stripped = physical.strip()
        if not stripped:
            continue
        for index, chunk in enumerate(_PACKED.split(stripped)):
            chunk = chunk.strip()
            match = _START.match(chunk)
            if match:
                records.append([match.group(1), chunk[match.end() :], number])
            elif index == 0 and records and not records[-1][1].rstrip().endswith("/"):
                records[-1][1] += " " + chunk  # a record broken across lines without an 88
            elif chunk:
                records.append([None, chunk, number])
    for record in records:
        body = record[1].rstrip()
        record[1] = body[:-1] if body.endswith("/") else body
    return records


def _method(type_code: str, description: str, text: str) -> str:
    code = int(type_code) if type_code.isdigit() else 0
    words = f"{description} {text}".lower()
    if 115 <= code <= 118 or code in (175, 301) or "check" in words or "cheque" in words:
        return "check"
    if code == 147 or "card" in words:
        return "card"
    ach_words = ("ach", "ppd", "ccd", "ctx", "preauthorized", "sec:ppd", "sec:ccd")
    if 140 <= code <= 169 or any(word in words.split() for word in ach_words):
        return "ach"
    if code in (158, 191, 195, 196, 208) or "wire" in words or "transfer" in words:
        return "wire"
    return "other"


def _detail_fields(body: str, line: int, result: ParseResult) -> dict | None:
    """One 16 record's fields through the bai2 package; unknown type codes read by hand."""
    try:
        detail = TransactionDetailParser(IteratorHelper([f"16,{body}"])).parse()
        type_code = detail.type_code
        return {
            "type_code": type_code.code,
            "known": True,
            "credit": type_code.transaction == TypeCodeTransaction.credit,
            "description": type_code.description,
            "amount": detail.amount,
            "value_date": (detail.availability or {}).get("date")
            if isinstance(detail.availability, dict)
            else None,
            "bank_reference": (detail.bank_reference or "").strip(),
            "customer_reference": (detail.customer_reference or "").strip(),
            "text": (detail.text or "").strip(),
        }
    except NotSupportedYetException:
        parts = body.split(",")
        code = parts[0].strip()
        try:
            amount = int(parts[1]) if len(parts) > 1 and parts[1].strip() else 0
        except ValueError:
            result.error(line, f"the amount {parts[1]!r} is not a number of cents")
            return None
        # BAI2 reserves 100-399 for credits; keep the line, flagged, rather than lose money.
        credit = code.isdigit() and 100 <= int(code) <= 399
        result.warnings.append(
            {
                "line": line,
                "warning": f"type code {code} is not a known BAI2 code; "
                + ("read as a credit, check it" if credit else "not read as a payment"),
            }
        )
        return {
            "type_code": code,
            "known": False,
            "credit": credit,
            "description": "",
            "amount": amount,
            "value_date": None,
            "bank_reference": "",
            "customer_reference": "",
            "text": ",".join(parts[4:]).strip(),
        }
    except (ValueError, IndexError, AttributeError, TypeError) as exc:
        # the bai2 package fails on some malformed details with these (a type code it reads
        # as None, say): the line is refused by number all the same
        result.error(line, f"the transaction detail could not be read ({exc})")
        return None


def _tags(continuations: list[str]) -> tuple[dict, list[str]]:
    tags, free = {}, []
    for text in continuations:
        match = _TAG.match(text.strip())
        if match and match.group(1) in _KNOWN_TAGS:
            tags.setdefault(match.group(1), match.group(2).strip())
        elif text.strip():
            free.append(text.strip())
    return tags, free


def _labelled(text: str) -> dict[str, str]:
    """{"REMITTER": "JOHN SMITH", "MEMO": "INV 10234", ...} from a detail's text."""
    parts = _FIELD.split(text)
    found: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=True):
        found.setdefault(key.upper(), value.strip().strip(",;").strip().strip('"').strip())
    return found


def _remittance(text: str, tags: dict) -> tuple[str, str, str]:
    """(payer, memo, reference) a person would read off the detail."""
    fields = _labelled(text)
    payer = next((fields[k] for k in _PAYER_FIELDS if fields.get(k)), "")
    payer = payer or tags.get("DBNM") or tags.get("ORNM") or tags.get("ORIG") or ""
    memo_parts = [fields[k] for k in _REMITTANCE_FIELDS if fields.get(k)] if fields else [text]
    memo_parts.append(tags.get("REMI", ""))
    if not payer:
        memo_parts += [f"{k} {tags[k]}" for k in ("CRNM", "BENE") if tags.get(k)]
    reference = fields.get("IND ID") or fields.get("REF") or fields.get("CLIENT REF ID") or ""
    unique = list(dict.fromkeys(p for p in memo_parts if p))
    return payer, " | ".join(unique), reference


def parse_bai2(text: str) -> ParseResult:
    result = ParseResult("bai2")
    records = _records(text)
    if not records:
        result.fatal = "The file is empty."
        return result
    if records[0][0] != "01":
        first = (records[0][0] or records[0][1][:2]) if records[0][1] else "nothing"
        result.fatal = (
            f"Line {records[0][2]} starts with {first!r}; a BAI2 file starts with a 01 file "
            "header record. Is this the right file?"
        )
        return result
    keys = LineKeys()
    group_date, group_currency, account, currency = None, "USD", "", "USD"
    pending = None  # the 16 record whose 88 continuations are being collected
    deposits = _Deposits(result)

    def flush():
        if pending is not None:
            _detail(result, keys, pending, group_date, account, currency, deposits)

    for code, body, line in records:
        if code == "88":
            if pending is not None:
                pending["continuations"].append(body)
            continue
        flush()
        pending = None
        if code != "16":
            deposits.close()  # an account's, group's or file's end ends its deposit
        if code is None:
            result.error(
                line, "this is not a BAI2 record (it should start with a code such as 16,)"
            )
        elif code == "02":
            try:
                header = GroupHeaderParser(IteratorHelper([f"02,{body}"])).parse()
                group_date, group_currency = header.as_of_date, header.currency or "USD"
            except (ValueError, IndexError, NotSupportedYetException) as exc:
                group_date = None
                result.error(
                    line,
                    f"the group header could not be read ({exc}); its transactions have no date",
                )
        elif code == "03":
            fields = body.split(",")
            account = fields[0].strip()
            currency = (fields[1].strip() if len(fields) > 1 else "") or group_currency
        elif code == "16":
            pending = {"body": body, "line": line, "continuations": []}
    flush()
    deposits.close()
    return result


def _detail(result, keys, record, group_date, account, currency, deposits: _Deposits) -> None:
    line = record["line"]
    fields = _detail_fields(record["body"], line, result)
    if fields is None:
        return
    if fields["type_code"] != LOCKBOX_ITEM:
        deposits.close()  # only the items right after a deposit belong to it
    tags, free = _tags(record["continuations"])
    text = " ".join([fields["text"], *free]).strip()
    if not fields["credit"]:
        result.skipped.append(
            {
                "line": line,
                "reason": f"type {fields['type_code']} is a debit "
                "or not a transaction, not an incoming payment",
            }
        )
        return
    if fields["known"] and _NOT_A_PAYMENT.search(fields["description"]):
        result.skipped.append(
            {
                "line": line,
                "reason": f"type {fields['type_code']} ({fields['description']}) "
                "is not a payment from a payer",
            }
        )
        return
    received_on = fields["value_date"] or group_date
    if received_on is None:
        result.error(line, "no date: neither a value date nor a readable group header")
        return
    if not fields["amount"] or fields["amount"] <= 0:
        result.error(line, "the amount is zero")
        return
    amount = from_minor_units(fields["amount"])
    if fields["type_code"] == LOCKBOX_DEPOSIT:
        deposits.open(
            Deposit(
                dedupe_key=keys(
                    account,
                    received_on,
                    fields["type_code"],
                    fields["amount"],
                    fields["bank_reference"],
                    fields["customer_reference"],
                    text,
                ),
                amount=amount,
                received_on=received_on,
                line=line,
                currency=currency or "USD",
                account=account,
                bank_reference=fields["bank_reference"][:120],
                lockbox=fields["customer_reference"][:120],
                text=text[:500],
                raw={"record": record["body"], "continuations": record["continuations"]},
            )
        )
        return
    deposit_key = deposits.item(amount) if fields["type_code"] == LOCKBOX_ITEM else ""
    payer, memo, labelled_reference = _remittance(text, tags)
    reference = (
        fields["customer_reference"]
        or labelled_reference
        or tags.get("EREF")
        or tags.get("CHKN")
        or ""
    )
    result.lines.append(
        Receipt(
            line=line,
            amount=amount,
            received_on=received_on,
            currency=currency or "USD",
            payer_name=payer[:300],
            memo=memo[:2000],
            reference=reference[:200],
            method=_method(fields["type_code"], fields["description"], text),
            provider_id=fields["bank_reference"][:120],
            dedupe_key=keys(
                account,
                received_on,
                fields["type_code"],
                fields["amount"],
                fields["bank_reference"],
                fields["customer_reference"],
                text,
                *record["continuations"],
            ),
            raw={
                "account": account,
                "type_code": fields["type_code"],
                "description": fields["description"],
                "text": text,
                "tags": tags,
                "record": record["body"],
                "continuations": record["continuations"],
            },
            deposit_key=deposit_key,
        )
    )
