"""Find every amount, date, percentage and count in a text and trace each to a fact."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from reviews.drafting.fact import COUNT, DATE, MONEY, PERCENT, TEXT, Fact
from reviews.drafting.pii import EMAIL_RE, PHONE_RE, PLACEHOLDER_RE

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_M = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
}

_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
IDENT = r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]+(?:[-/#][A-Za-z0-9]+)*(?![\w-])"
PATTERNS = [
    ("date", re.compile(rf"(?i)\b{_M}\s+{_DAY},?\s+{_YEAR}\b")),
    ("date", re.compile(rf"(?i)\b{_DAY}\s+(?:of\s+)?{_M},?\s+{_YEAR}\b")),
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")),
    ("us", re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\b")),
    ("monthyear", re.compile(rf"(?i)\b{_M}\s+{_YEAR}\b")),
    ("monthday", re.compile(rf"(?i)\b{_M}\s+{_DAY}\b")),
    ("daymonth", re.compile(rf"(?i)\b{_DAY}\s+(?:of\s+)?{_M}\b")),
    ("money", re.compile(rf"(?i)(?:US\$|USD\s?|\$|€|£)\s?(?P<n>{_NUM})(?:\s?(?:k|thousand))?")),
    ("money", re.compile(rf"(?i)(?<![\w.,])(?P<n>{_NUM})\s?(?:USD|dollars?)\b")),
    ("percent", re.compile(rf"(?i)(?<![\w.,])(?P<n>{_NUM})\s?(?:%|percent\b|per cent\b)")),
    ("ident", re.compile(IDENT)),
    ("number", re.compile(rf"(?<![\w.,/-])(?P<n>{_NUM})(?![\w/-]|[.,]\d)")),
    ("word", re.compile(r"(?i)\b(?P<w>" + "|".join(WORDS) + r")\b")),
]
URL_RE = re.compile(
    r"(?i)\bhttps?://[^\s<>\"'()\[\]]+|\bwww\.[^\s<>\"'()\[\]]+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|org|net|edu|gov|io|info|biz|co|us|uk|"
    r"ca|au|de|fr|eu|example|xyz|ly|me|app|site|online|link|click|top|ru|cn|page|dev)\b"
    r"(?:/[^\s<>\"'()\[\]]*)?"
)
ORDINAL = re.compile(r"(?i)^(\d+)(st|nd|rd|th)$")


@dataclass
class Token:
    kind: str  # money | date | percent | count | reference
    start: int
    end: int
    text: str
    traced_to: list[str] = field(default_factory=list)


def _dec(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def url_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in URL_RE.finditer(text):
        before = text[max(0, match.start() - 1) : match.start()]
        if before == "@":
            continue  # the domain of an email address
        end = match.end()
        while end > match.start() and text[end - 1] in ".,;:!?":
            end -= 1
        spans.append((match.start(), end))
    return spans


def _overlaps(spans, start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def trace(text: str, facts: list[Fact]) -> list[Token]:
    """Every number-like token with the trusted facts it matches (empty: untraced)."""
    trusted = [f for f in facts if f.trusted and f.value not in (None, "")]
    tokens: list[Token] = []
    taken: list[tuple[int, int]] = []
    # Where a fact's own wording appears (an event named "Summit 2026", "$245.00"), it is traced.
    shown: dict[str, list[Fact]] = {}
    for fact in trusted:
        text_of = fact.display()
        if len(text_of) >= 2 and any(ch.isdigit() for ch in text_of):
            shown.setdefault(text_of, []).append(fact)
    for text_of in sorted(shown, key=len, reverse=True):
        same = shown[text_of]
        for match in re.finditer(rf"(?<![\w$]){re.escape(text_of)}(?![\w])", text):
            if not _overlaps(taken, match.start(), match.end()):
                kind = {TEXT: "reference"}.get(same[0].kind, same[0].kind)
                names = [f.name for f in same]
                tokens.append(Token(kind, match.start(), match.end(), match.group(), names))
                taken.append((match.start(), match.end()))
    skip = url_spans(text) + [m.span() for m in EMAIL_RE.finditer(text)]
    skip += [m.span() for m in PHONE_RE.finditer(text)] + [
        m.span() for m in PLACEHOLDER_RE.finditer(text)
    ]
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if _overlaps(taken, start, end) or _overlaps(skip, start, end):
                continue
            token = _classify(kind, match, trusted)
            if token is None:
                continue
            token.start, token.end, token.text = start, end, match.group()
            tokens.append(token)
            taken.append((start, end))
    return sorted(tokens, key=lambda t: t.start)


def _facts_of(trusted: list[Fact], *kinds: str) -> list[Fact]:
    return [f for f in trusted if f.kind in kinds]


def _classify(kind: str, match: re.Match, trusted: list[Fact]) -> Token | None:
    groups = match.groupdict()
    month = groups.get("month")
    month_no = MONTHS.get(month.lower().rstrip(".")) if month and not month.isdigit() else None
    if month and month.isdigit():
        month_no = int(month)
    dates = _facts_of(trusted, DATE)
    if kind in ("date", "iso", "us"):
        when = _safe_date(int(groups["year"]), month_no or 0, int(groups["day"]))
        if when is None:
            return None
        return Token("date", 0, 0, "", [f.name for f in dates if f.value == when])
    if kind == "monthyear":
        year = int(groups["year"])
        hits = [f.name for f in dates if (f.value.year, f.value.month) == (year, month_no)]
        return Token("date", 0, 0, "", hits)
    if kind in ("monthday", "daymonth"):
        if month and month.lower() == "may" and kind == "daymonth":
            return None
        day = int(groups["day"])
        if not 1 <= day <= 31:
            return None
        hits = [f.name for f in dates if (f.value.month, f.value.day) == (month_no, day)]
        return Token("date", 0, 0, "", hits)
    if kind == "money":
        amount = _dec(groups["n"])
        if amount is None:
            return None
        if re.search(r"(?i)(k|thousand)$", match.group()):
            amount *= 1000
        hits = [f.name for f in _facts_of(trusted, MONEY) if f.value == amount]
        return Token("money", 0, 0, "", hits)
    if kind == "percent":
        value = _dec(groups["n"])
        hits = [
            f.name
            for f in _facts_of(trusted, PERCENT, COUNT)
            if value is not None and Decimal(f.value) == value
        ]
        return Token("percent", 0, 0, "", hits)
    if kind == "ident":
        raw = match.group()
        ordinal = ORDINAL.match(raw)
        if ordinal:
            number = int(ordinal.group(1))
            hits = [f.name for f in _facts_of(trusted, COUNT) if f.value == number]
            hits += [f.name for f in dates if f.value.day == number]
            return Token("count", 0, 0, "", hits)
        hits = [f.name for f in _facts_of(trusted, TEXT) if str(f.value).lower() == raw.lower()]
        return Token("reference", 0, 0, "", hits)
    if kind == "number":
        value = _dec(groups["n"])
        if value is None:
            return None
        return Token("count", 0, 0, "", _number_hits(value, match.group(), trusted))
    if kind == "word":
        value = Decimal(WORDS[groups["w"].lower()])
        return Token("count", 0, 0, "", _number_hits(value, groups["w"], trusted))
    return None


def _number_hits(value: Decimal, raw: str, trusted: list[Fact]) -> list[str]:
    hits = [f.name for f in _facts_of(trusted, COUNT, PERCENT, MONEY) if Decimal(f.value) == value]
    if value == value.to_integral_value() and 1900 <= value <= 2100:
        hits += [f.name for f in _facts_of(trusted, DATE) if f.value.year == int(value)]
    hits += [f.name for f in _facts_of(trusted, TEXT) if str(f.value) == raw]
    return hits
