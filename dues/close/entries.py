"""The journal-entry review kind: a drafted, balanced general-ledger entry decided in the finance
queue, recorded in the GL journal once approved.

Both the reconciliation's adjusting entries and revenue recognition file this kind (``KIND``)
with a ``JournalEntryDraft`` payload (``journal_entry_propose``). The payload is flat text so
the generic review page shows and edits it: ``date`` (YYYY-MM-DD), ``journal`` (ADJ, REV),
``reference``, ``memo``, ``source`` and ``source_ref`` (what drafted it), and ``lines``, one
journal line a row: ``account | debit | credit | memo``.

An entry that does not balance, names an unknown account, or is dated in a closed period is
refused when filed, when edited and again just before it is recorded; the database refuses it a
last time (migration 0009).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from common.errors import DomainError
from common.money import ZERO, format_money, to_money
from dues.ledger import accounts
from reviews.kinds import ReviewKind

KIND = "dues.journal_entry"
JOURNALS = {"ADJ": "Adjusting entries", "REV": "Revenue recognition"}


@dataclass(frozen=True)
class EntryLine:
    account: str
    amount: Decimal  # debit +, credit -
    memo: str = ""

    @property
    def debit(self) -> Decimal:
        return self.amount if self.amount > 0 else ZERO

    @property
    def credit(self) -> Decimal:
        return -self.amount if self.amount < 0 else ZERO

    def as_row(self) -> str:
        debit = str(self.debit) if self.debit else ""
        credit = str(self.credit) if self.credit else ""
        return f"{self.account} | {debit} | {credit} | {self.memo}".rstrip(" |")


def _amount(text: str, row: int) -> Decimal:
    text = text.replace(",", "").replace("$", "").strip()
    if not text:
        return ZERO
    try:
        value = to_money(text)
    except (ValueError, ArithmeticError):
        raise DomainError(f"Line {row}: “{text}” is not an amount; write it like 125.00.") from None
    if value < 0:
        raise DomainError(f"Line {row}: write {text} as a positive debit or credit.")
    return value


def parse_lines(text: str) -> list[EntryLine]:
    """Read ``account | debit | credit | memo`` rows; each problem names its row."""
    lines = []
    for row, raw in enumerate(str(text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        parts += [""] * (4 - len(parts))
        account, debit_text, credit_text, memo = parts[0], parts[1], parts[2], "|".join(parts[3:])
        if not accounts.is_account(account):
            raise DomainError(
                f"Line {row}: “{account}” is not a ledger account; use one of the mapping page's "
                "accounts (e.g. processor_fees, cash:stripe)."
            )
        debit, credit = _amount(debit_text, row), _amount(credit_text, row)
        if bool(debit) == bool(credit):
            raise DomainError(f"Line {row}: give either a debit or a credit, not both or neither.")
        lines.append(EntryLine(account, debit - credit, memo.strip()[:300]))
    return lines


@dataclass(frozen=True)
class JournalEntryDraft:
    """A general-ledger entry to record: its date, journal, reference, memo and lines."""

    entry_date: date
    journal: str
    reference: str
    memo: str
    lines: tuple[EntryLine, ...]
    source: str = ""
    source_ref: str = ""
    errors: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_payload(cls, payload: dict) -> "JournalEntryDraft":
        text = str(payload.get("date") or "").strip()
        try:
            entry_date = date.fromisoformat(text)
        except ValueError:
            raise DomainError(f"“{text}” is not a date; write it as YYYY-MM-DD.") from None
        journal = str(payload.get("journal") or "ADJ").strip().upper()
        if journal not in JOURNALS:
            raise DomainError(f"Journal {journal!r} is unknown; use one of {', '.join(JOURNALS)}.")
        reference = " ".join(str(payload.get("reference") or "").split())[:80]
        if not reference:
            raise DomainError("Give the entry a reference.")
        return cls(
            entry_date=entry_date,
            journal=journal,
            reference=reference,
            memo=" ".join(str(payload.get("memo") or "").split())[:300],
            lines=tuple(parse_lines(str(payload.get("lines") or ""))),
            source=str(payload.get("source") or "")[:40],
            source_ref=str(payload.get("source_ref") or "")[:120],
        )

    def to_payload(self) -> dict:
        return {
            "date": self.entry_date.isoformat(),
            "journal": self.journal,
            "reference": self.reference,
            "memo": self.memo,
            "source": self.source,
            "source_ref": self.source_ref,
            "lines": "\n".join(line.as_row() for line in self.lines),
        }

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def balanced(self) -> bool:
        return len(self.lines) >= 2 and self.total_debit == self.total_credit

    def check(self) -> None:
        """Refuse what must never be recorded: an unbalanced entry, one in a closed period."""
        from dues.close.periods import period_require_open

        if len(self.lines) < 2:
            raise DomainError("An entry needs at least two lines, a debit and a credit.")
        if not self.balanced:
            raise DomainError(
                f"The entry does not balance: debits {format_money(self.total_debit)}, "
                f"credits {format_money(self.total_credit)}. Correct the lines so they are equal."
            )
        period_require_open(self.entry_date)

    def facts(self) -> list[tuple[str, str]]:
        rows = [
            ("Date", self.entry_date.isoformat()),
            ("Journal", JOURNALS[self.journal]),
            ("Reference", self.reference),
            ("Memo", self.memo),
        ]
        rows += [
            (
                f"Line {n}",
                f"{'Dr' if line.amount > 0 else 'Cr'} {accounts.account_label(line.account)} "
                f"{format_money(abs(line.amount))}" + (f" ({line.memo})" if line.memo else ""),
            )
            for n, line in enumerate(self.lines, start=1)
        ]
        rows.append(
            (
                "Totals",
                f"debits {format_money(self.total_debit)}, "
                f"credits {format_money(self.total_credit)}",
            )
        )
        return rows


def validate(payload: dict) -> dict:
    draft = JournalEntryDraft.from_payload(payload)
    draft.check()
    return draft.to_payload()


def effect(item) -> dict:
    """Approved: the entry goes into the GL journal, once per item."""
    from dues.ledger.gl import gl_entry_record

    draft = JournalEntryDraft.from_payload(item.payload)
    proposer = item.proposed_by.get_username() if item.proposed_by_id else item.proposed_by_job
    approver = item.decided_by.get_username() if item.decided_by_id else "an Auto policy"
    entry = gl_entry_record(
        draft=draft,
        key=f"review:{item.pk}",
        review_item=item,
        proposed_by_name=proposer or "system",
        approved_by_name=approver,
    )
    return {"entry": entry.pk, "reference": entry.reference, "date": str(entry.entry_date)}


def recheck(item) -> str | None:
    try:
        JournalEntryDraft.from_payload(item.payload).check()
    except DomainError as exc:
        return str(exc)
    return None


JOURNAL_ENTRY = ReviewKind(
    name=KIND,
    label="Journal entry (month-end close)",
    queue="finance",
    validate=validate,
    effect=effect,
    recheck=recheck,
    threshold=Decimal(settings.CLOSE_ENTRY_THRESHOLD),
    payload_type=JournalEntryDraft,
)


@transaction.atomic
def journal_entry_propose(
    *,
    draft: JournalEntryDraft,
    title: str,
    summary: str = "",
    evidence: list | None = None,
    user=None,
    job: str = "",
    segment: str = "",
    dedupe_key: str | None = None,
):
    """File a drafted entry for review; refused at once if it could never be approved."""
    from reviews.services import review_item_propose

    draft.check()
    return review_item_propose(
        kind=KIND,
        title=title[:200],
        payload=draft.to_payload(),
        object_ref=f"journal entry {draft.reference}",
        summary=summary[:2000],
        evidence=evidence or [],
        rationale="Drafted by code from the ledger's figures; a person checks the lines.",
        confidence=Decimal("1.000"),
        amount=draft.total_debit,
        proposed_by=user,
        proposed_by_job=job,
        segment=segment or draft.source,
        dedupe_key=dedupe_key,
    )
