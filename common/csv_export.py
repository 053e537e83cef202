"""Every CSV the product writes goes through here, so no exported cell runs as a formula.

Spreadsheets treat a cell that starts with = + - @ (and, in some, a tab or carriage return before
one) as a formula; untrusted text (a username typed at the login page, a payment memo, a member's
name) must reach the reader as text. OWASP's advice is followed: such a cell gets a leading quote.
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """The value as a spreadsheet will read it safely: text that could start a formula quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header and each row as CSV text, one line at a time, every text cell made safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_write(handle, header: list[str], rows: Iterable[Iterable]) -> int:
    """Write to an open text file (a command's ``--csv PATH``); returns the rows written."""
    lines = 0
    for line in csv_lines(header, rows):
        handle.write(line)
        lines += 1
    return lines - 1


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """A streamed download, so a year of rows does not sit in memory."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
