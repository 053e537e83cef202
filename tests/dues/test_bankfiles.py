"""Bank files: real BAI2 files and CSVs parse; bad lines are named by number and the rest kept."""

from datetime import date
from decimal import Decimal

from dues.intake.bai2file import parse_bai2
from dues.intake.bankfiles import parse_file
from dues.intake.csvfile import parse_csv
from tests.dues.conftest import bai2_sample


def amounts(result) -> list[Decimal]:
    return [line.amount for line in result.lines]


def test_bai2_cheque_and_transfer_detail_keeps_credits_and_skips_debits():
    result = parse_file("sample1.txt", bai2_sample("sample1.txt"))
    assert (result.fatal, result.errors, result.warnings) == ("", [], [])
    assert amounts(result) == [
        Decimal("2035.00"),
        Decimal("25.00"),
        Decimal("25.00"),
        Decimal("115.00"),
        Decimal("1000.00"),
    ]
    assert [line.line for line in result.lines] == [8, 9, 10, 19, 20]
    assert result.lines[1].memo == "MACLEOD MALL"
    assert result.lines[1].received_on == date(2006, 3, 16)  # the value date of the detail
    assert result.lines[1].currency == "CAD"
    assert len(result.skipped) == 12
    assert result.skipped[0] == {
        "line": 5,
        "reason": "type 409 is a debit or not a transaction, not an incoming payment",
    }


def test_bai2_records_packed_on_one_line_and_broken_across_lines_are_read():
    result = parse_file("sample3.txt", bai2_sample("sample3.txt"))
    assert (result.fatal, result.errors) == ("", [])
    assert len(result.lines) == 13
    assert sum(amounts(result), Decimal(0)) == Decimal("397.13")
    # two records packed on line 3, each read
    assert [(line.line, line.amount) for line in result.lines[:3]] == [
        (3, Decimal("25.00")),
        (3, Decimal("5.00")),
        (4, Decimal("1.00")),
    ]
    assert result.lines[0].method == "ach"
    # a detail broken over two physical lines without an 88 keeps its whole text
    assert result.lines[3].memo.startswith(
        "111111     ACH_SETL           1111111111 111111111111111"
    )
    wire = next(line for line in result.lines if line.amount == Decimal("138.55"))
    assert wire.method == "wire" and "VISA INTERNATIONAL" in wire.memo
    assert "FOSTER CITY" in wire.memo  # from its 88 continuation


def test_bai2_continuation_records_give_payer_reference_and_remittance():
    result = parse_file("s4.txt", bai2_sample("sample4-continuations-newline-delimited.txt"))
    assert (result.fatal, result.errors) == ("", [])
    assert amounts(result) == [
        Decimal("11.25"),
        Decimal("500.50"),
        Decimal("5.27"),
        Decimal("50.00"),
    ]
    rtp = result.lines[1]
    assert (rtp.line, rtp.payer_name, rtp.reference, rtp.method) == (
        68,
        "SAMPLE INC",
        "RTR60880840833",
        "wire",
    )
    assert "Test Remittance" in rtp.memo
    assert rtp.raw["tags"]["REMI"] == "Test Remittance"
    # returns, rejects and sweeps are credits but not payments from anyone
    reasons = [s["reason"] for s in result.skipped]
    assert "type 261 (Individual Rejected Credit) is not a payment from a payer" in reasons
    assert "type 275 (ZBA Credit) is not a payment from a payer" in reasons


def test_bai2_file_that_is_not_bai2_is_refused_whole():
    result = parse_file("sample-parseError.txt", bai2_sample("sample-parseError.txt"))
    assert result.fatal == (
        "Line 1 starts with '00'; a BAI2 file starts with a 01 file header record. "
        "Is this the right file?"
    )
    assert result.lines == []


BAD_LINES = """01,0004,12345,060321,0829,001,80,1,2/
02,12345,0004,1,060317,,USD,/
03,10200123456,USD,040,+000000000000,,,045,+000000000000,,/
16,116,000000012000,V,060316,,,,LOCKBOX SMITH J 48213/
88,CHECK 1001 INV 10234/
16,116,00000001X000,V,060316,,,,GARBLED AMOUNT/
this line is not a record
16,999,000000004000,V,060316,,,,BANK-SPECIFIC CODE/
16,142,000000003500,Z,,,ACH PPD DOE JANE DUES/
49,+00000000000834000,14/
98,+00000000001280000,2,25/
99,+00000000001280000,1,27/
"""


def test_bai2_malformed_lines_are_named_and_the_rest_kept():
    result = parse_bai2(BAD_LINES)
    assert result.fatal == ""
    assert [(line.line, line.amount) for line in result.lines] == [
        (4, Decimal("120.00")),
        (9, Decimal("35.00")),
    ]
    assert result.errors == [
        {
            "line": 6,
            "error": "the transaction detail could not be read (invalid literal for int() "
            "with base 10: '00000001X000')",
        },
        {"line": 7, "error": "this is not a BAI2 record (it should start with a code such as 16,)"},
    ]
    assert result.warnings == [
        {"line": 8, "warning": "type code 999 is not a known BAI2 code; not read as a payment"}
    ]
    lockbox = result.lines[0]
    assert lockbox.method == "check"
    assert lockbox.memo == "LOCKBOX SMITH J 48213 CHECK 1001 INV 10234"
    assert result.lines[1].received_on == date(2006, 3, 17)  # no value date: the group's date


def test_bai2_unknown_credit_type_code_is_kept_and_flagged():
    text = BAD_LINES.replace("16,999,", "16,199,")
    result = parse_bai2(text)
    assert result.warnings == [
        {"line": 8, "warning": "type code 199 is not a known BAI2 code; read as a credit, check it"}
    ]
    assert Decimal("40.00") in amounts(result)


def test_bai2_reading_the_same_text_twice_gives_the_same_keys_and_duplicates_stay_distinct():
    text = BAD_LINES.replace(
        "16,142,000000003500,Z,,,ACH PPD DOE JANE DUES/",
        "16,142,000000003500,Z,,,ACH PPD DOE JANE DUES/\n"
        "16,142,000000003500,Z,,,ACH PPD DOE JANE DUES/",
    )
    first, second = parse_bai2(text), parse_bai2(text)
    keys = [line.dedupe_key for line in first.lines]
    assert keys == [line.dedupe_key for line in second.lines]
    assert len(set(keys)) == len(keys) == 3


CSV = """Date,Amount,Payer Name,Reference,Memo,Method
2026-03-02,120.00,"Smith, John",10234,dues 2026 mbr 48213,check
03/03/2026,"$1,250.00",Acme Engineering LLC,ACH-88812,INV 10301 10302 10303,ach
2026-03-04,abc,Nobody,,,
2026-03-05,-20.00,Refund Co,,,
2026-13-40,10.00,Bad Date,,,
2026-03-06,45.00,Zoë O'Brien,,#10477,bitcoin
2026-03-06,45.00,Zoë O'Brien,,#10477,card

2026-03-07,60.00,,,,
"""


def test_csv_reads_documented_columns_and_names_each_bad_line():
    result = parse_csv(CSV)
    assert result.fatal == ""
    assert [(line.line, line.amount, line.payer_name, line.method) for line in result.lines] == [
        (2, Decimal("120.00"), "Smith, John", "check"),
        (3, Decimal("1250.00"), "Acme Engineering LLC", "ach"),
        (8, Decimal("45.00"), "Zoë O'Brien", "card"),
        (10, Decimal("60.00"), "", "other"),
    ]
    assert result.lines[1].received_on == date(2026, 3, 3)
    assert (result.lines[0].reference, result.lines[0].memo) == ("10234", "dues 2026 mbr 48213")
    assert result.errors == [
        {"line": 4, "error": "the amount 'abc' is not an amount like 1,234.50"},
        {"line": 5, "error": "the amount '-20.00' must be more than zero"},
        {"line": 6, "error": "the date '2026-13-40' is not a date (use YYYY-MM-DD or MM/DD/YYYY)"},
        {
            "line": 7,
            "error": "the method 'bitcoin' is not one of check, ach, card, wire, cash (or blank)",
        },
    ]


def test_csv_line_with_only_a_date_and_an_amount_is_money_kept_with_a_warning():
    # a cash deposit or an unidentified transfer: a person places it, but it is not lost
    result = parse_csv("date,amount,payer name,reference,memo,method\n2026-03-07,60.00,,,,\n")
    assert result.errors == []
    assert [(line.line, line.amount, line.payer_name, line.method) for line in result.lines] == [
        (2, Decimal("60.00"), "", "other"),
    ]
    assert result.warnings == [
        {"line": 2, "warning": "no payer name, reference or memo: imported for a person to place"}
    ]


def test_csv_postal_code_column_is_read_as_the_payers():
    text = "Date,Amount,Payer,ZIP,Memo\n2026-03-02,120.00,Jenny Rosen,02139,dues\n"
    (line,) = parse_csv(text).lines
    assert (line.payer_name, line.payer_postal_code, line.memo) == ("Jenny Rosen", "02139", "dues")
    assert line.payment_fields()["payer_postal_code"] == "02139"


def test_csv_without_the_required_columns_is_refused_whole():
    result = parse_csv("when,how much\n2026-03-02,10.00\n")
    assert result.fatal == (
        "The first row must name the columns date, amount, payer name, reference, memo, method; "
        "missing: date, amount, payer name."
    )


def test_bai2_lockbox_deposit_groups_the_items_that_follow_it_and_is_no_payment():
    result = parse_file("lockbox.txt", bai2_sample("lockbox-deposits.txt"))
    assert (result.fatal, result.errors) == ("", [])
    # the three check items and the ACH credit are the payments; neither 115 is one
    assert [(line.line, line.amount, line.method) for line in result.lines] == [
        (5, Decimal("325.00"), "check"),
        (7, Decimal("325.00"), "check"),
        (9, Decimal("305.00"), "check"),
        (10, Decimal("175.00"), "ach"),
    ]
    itemized, waiting = result.deposits
    assert (itemized.line, itemized.amount, itemized.items, itemized.items_total) == (
        4,
        Decimal("955.00"),
        3,
        Decimal("955.00"),
    )
    assert (itemized.bank_reference, itemized.lockbox, itemized.account) == (
        "LBX0701A",
        "4471",
        "000123456789",
    )
    # each check carries its deposit; the ACH after them does not belong to it
    assert [line.deposit_key for line in result.lines] == [itemized.dedupe_key] * 3 + [""]
    assert result.lines[0].payer_name == "MARIA GONZALEZ"
    assert result.lines[0].memo == "DUES 2025 INV 120031"
    # a deposit with no items after it (the next account starts) waits for its detail
    assert (waiting.line, waiting.amount, waiting.items) == (14, Decimal("650.00"), 0)
    assert result.warnings == [
        {
            "line": 14,
            "warning": "lockbox deposit of $650.00 with no items after it: kept as a deposit "
            "waiting for the lockbox detail, not as a payment",
        }
    ]


def test_bai2_lockbox_items_that_do_not_add_up_to_the_deposit_are_kept_and_flagged():
    text = (
        "01,121000248,DUESDESK,250702,0600,8,80,,2/\n"
        "02,DUESDESK,121000248,1,250701,2400,USD,2/\n"
        "03,000123456789,USD,010,0,,,015,0,,,100,0,2,0/\n"
        "16,115,50000,0,LBX9,4471,LOCKBOX DEPOSIT/\n"
        "16,116,32500,0,LBX9001,1001,LOCKBOX ITEM CHECK 1001 REMITTER:ANA LIMA/\n"
        "49,82500,4/\n"
        "98,82500,1,6/\n"
        "99,82500,1,8/\n"
    )
    result = parse_bai2(text)
    assert [(line.amount, bool(line.deposit_key)) for line in result.lines] == [
        (Decimal("325.00"), True)
    ]
    assert result.warnings == [
        {
            "line": 4,
            "warning": "the 1 items after the lockbox deposit of $500.00 add up to $325.00: the "
            "items are kept as payments; check the deposit against the lockbox detail",
        }
    ]
