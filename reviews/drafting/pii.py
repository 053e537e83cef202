"""Personal data: find it in free text, and mask it before anything leaves for a model.

Known values of the member (names, email, phone, city, postal code) and anything that looks like
an email, a phone number, a card number (Luhn-checked), a bank account number or a street
address become placeholders such as [[NAME_1]]; the model's answer gets names and contact
details back, while card and bank numbers never return into a message.
"""

import re
from dataclasses import dataclass, field

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)"
    r"|(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\w)"
)
CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
ACCOUNT_RE = re.compile(
    r"(?i)\b(?:account|acct|a/c|routing|aba|iban|sort code|bank)\b[^\d\n]{0,20}"
    r"(?P<number>\d[\d -]{5,22}\d)"
)
ADDRESS_RE = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
    r"Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Circle|Parkway|Pkwy)\b\.?"
)
PLACEHOLDER_RE = re.compile(r"\[\[?\s*(NAME|EMAIL|PHONE|ADDRESS|CARD|BANK)_(\d+)\s*\]?\]")
RESTORED = {"NAME", "EMAIL", "PHONE", "ADDRESS"}


def luhn_ok(digits: str) -> bool:
    """The Luhn check every payment card number passes (and most random digit runs fail)."""
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class Found:
    kind: str  # EMAIL | PHONE | CARD | BANK | ADDRESS
    start: int
    end: int
    text: str


def scan(text: str) -> list[Found]:
    """Emails, phone numbers, card numbers, bank numbers and street addresses in free text."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Found(kind, start, end, text[start:end]))

    for match in EMAIL_RE.finditer(text):
        add("EMAIL", match.start(), match.end())
    for match in CARD_RE.finditer(text):
        if luhn_ok(re.sub(r"\D", "", match.group())):
            add("CARD", match.start(), match.end())
    for match in IBAN_RE.finditer(text):
        add("BANK", match.start(), match.end())
    for match in ACCOUNT_RE.finditer(text):
        add("BANK", match.start("number"), match.end("number"))
    for match in PHONE_RE.finditer(text):
        if len(re.sub(r"\D", "", match.group())) >= 10:
            add("PHONE", match.start(), match.end())
    for match in ADDRESS_RE.finditer(text):
        add("ADDRESS", match.start(), match.end())
    return sorted(found, key=lambda f: f.start)


@dataclass
class MemberPII:
    """What could identify the member, known from the mirror, to mask in anything sent out."""

    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


@dataclass
class Masker(MemberPII):
    """Replaces personal data (the member's known values, and what looks like personal data) by
    stable placeholders and puts the safe kinds back afterwards."""

    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_member(cls, pii: MemberPII) -> "Masker":
        return cls(
            names=list(pii.names),
            emails=list(pii.emails),
            phones=list(pii.phones),
            addresses=list(pii.addresses),
        )

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.strip().lower())
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[[{kind}_{self._counts[kind]}]]"
            self._by_value[key] = token
            self.mapping[token] = value.strip()
        return self._by_value[key]

    def _known(self) -> list[tuple[str, str]]:
        known = [("NAME", n) for n in self.names] + [("EMAIL", e) for e in self.emails]
        known += [("PHONE", p) for p in self.phones] + [("ADDRESS", a) for a in self.addresses]
        # Longest first, so "Maya Patel" becomes one placeholder rather than two.
        return sorted(
            {(k, v.strip()) for k, v in known if v and v.strip()}, key=lambda kv: -len(kv[1])
        )

    def mask(self, text: str) -> str:
        if not text:
            return text
        for kind, value in self._known():
            flags = re.IGNORECASE if len(value) >= 5 else 0
            pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", flags)
            text = pattern.sub(lambda _m, k=kind, v=value: self.placeholder(k, v), text)
        for found in reversed(scan(text)):
            if PLACEHOLDER_RE.fullmatch(found.text):
                continue
            token = self.placeholder(found.kind, found.text)
            text = text[: found.start] + token + text[found.end :]
        return text

    def restore(self, text: str) -> str:
        """Names and contact details come back; card and bank numbers stay placeholders."""

        def put_back(match: re.Match) -> str:
            token = f"[[{match.group(1)}_{match.group(2)}]]"
            if match.group(1) in RESTORED and token in self.mapping:
                return self.mapping[token]
            return token

        return PLACEHOLDER_RE.sub(put_back, text or "")
