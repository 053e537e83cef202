"""Bank files read into receipts: which format a file is in, how its bytes decode, and its
reader (``bai2file`` or ``csvfile``). A bad line is reported by number; the rest is read.
"""

import re

from dues.intake.bai2file import parse_bai2
from dues.intake.csvfile import parse_csv
from dues.intake.receipts import ParseResult


def detect_format(filename: str, content: bytes) -> str:
    head = content.lstrip(b"\xef\xbb\xbf \r\n\t")[:3]
    # A BAI2 file opens with a two-digit record code (01; a damaged one with something else).
    if re.fullmatch(rb"\d\d,", head) or filename.lower().endswith((".bai", ".bai2")):
        return "bai2"
    return "csv"


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")  # banks' older exports; every byte is a character


def parse_file(filename: str, content: bytes) -> ParseResult:
    text = decode(content)
    if "\x00" in text:
        # a UTF-16 export or a binary file; PostgreSQL could not store its text either
        line = text.count("\n", 0, text.index("\x00")) + 1
        result = ParseResult(detect_format(filename, content))
        result.fatal = (
            f"Line {line} holds a NUL character: this is not a text bank file (a UTF-16 export, "
            "or a spreadsheet?). Save it as CSV (UTF-8) or BAI2 and import that."
        )
        return result
    if detect_format(filename, content) == "bai2":
        return parse_bai2(text)
    return parse_csv(text)
