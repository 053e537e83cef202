"""Bank files imported: good lines become payments, bad ones are reported by line number,
and the same file twice adds nothing.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from common.audit import audit_event, audit_record, audit_record_many
from common.errors import DomainError, validation_text
from common.money import format_money
from common.states import transition
from dues.intake import bankfiles
from dues.intake.receipts import Deposit
from dues.intake.store import intake_entry, jsonable, match_soon, received_summary
from dues.ledger import journal_record_many
from dues.models import BankDeposit, Payment, PaymentImport

MAX_REPORT_ROWS = 500  # a report lists at most this many errors, warnings and skipped lines


@transaction.atomic
def payment_import_file(*, filename: str, content: bytes, uploaded_by=None) -> PaymentImport:
    """Import a BAI2 or CSV file: good lines become payments, bad ones are reported by number.

    Lines already imported (from this file or an earlier one) are counted, not added again.
    A file that cannot be read at all is refused with a DomainError and nothing is stored.
    """
    if not content.strip():
        raise DomainError("The file is empty; choose the bank file to import.")
    parsed = bankfiles.parse_file(filename, content)
    if parsed.fatal:
        raise DomainError(f"{filename}: {parsed.fatal}", code="unreadable")
    record = PaymentImport(
        file_format=parsed.file_format,
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        uploaded_by=uploaded_by,
    )
    record.full_clean()
    record.save()
    source = Payment.Source.BAI2 if parsed.file_format == "bai2" else Payment.Source.CSV
    deposits = _import_deposits(record, parsed.deposits, uploaded_by)
    added, duplicates, refused = _import_lines(record, source, parsed.lines, uploaded_by, deposits)
    # The month-end close's deposits: per account (BAI2) or batch (CSV) and day, totals checked.
    from dues.close.deposits import deposits_record_for_import

    deposits_record_for_import(
        record=record, text=bankfiles.decode(content), uploaded_by=uploaded_by
    )
    record.refresh_from_db(fields=["report"])
    errors = sorted(parsed.errors + refused, key=lambda e: e["line"])
    record.lines = len(parsed.lines) - len(refused)
    record.added, record.duplicates, record.errors = len(added), len(duplicates), len(errors)
    record.report = {
        **record.report,
        "file": filename,
        "format": parsed.file_format,
        "payment_lines": record.lines,
        "added": len(added),
        "already_imported": len(duplicates),
        "errors": len(errors),
        "error_lines": errors[:MAX_REPORT_ROWS],
        "warning_lines": parsed.warnings[:MAX_REPORT_ROWS],
        "skipped_lines": parsed.skipped[:MAX_REPORT_ROWS],
        "skipped": len(parsed.skipped),
        "payments": [a["payment"] for a in added][:5000],
        "duplicate_lines": duplicates[:MAX_REPORT_ROWS],
        "deposits": [
            {
                "line": d.line,
                "deposit": deposits[d.dedupe_key].pk,
                "amount": d.amount,
                "items": d.items,
                "items_total": d.items_total,
                "status": deposits[d.dedupe_key].status,
                "status_label": deposits[d.dedupe_key].get_status_display(),
            }
            for d in parsed.deposits
        ][:MAX_REPORT_ROWS],
        "deposits_awaiting_detail": sum(
            deposits[d.dedupe_key].status == BankDeposit.Status.AWAITING_DETAIL
            for d in parsed.deposits
        ),
    }
    record.save()
    audit_record(
        action="dues.file_imported",
        summary=f"Imported {filename}: {len(added)} payments added, {len(duplicates)} already "
        f"imported, {len(errors)} lines with errors",
        actor=uploaded_by,
        object_type="payment_import",
        object_id=record.pk,
        data={
            "added": len(added),
            "duplicates": len(duplicates),
            "errors": len(errors),
            "sha256": record.sha256,
        },
    )
    if added:
        transaction.on_commit(match_soon)
    return record


def _deposit_status(deposit: Deposit) -> str:
    if not deposit.items:
        return BankDeposit.Status.AWAITING_DETAIL
    if deposit.items_total != deposit.amount:
        return BankDeposit.Status.UNBALANCED
    return BankDeposit.Status.ITEMIZED


def _import_deposits(
    record: PaymentImport, deposits: list[Deposit], uploaded_by
) -> dict[str, BankDeposit]:
    """Keep each lockbox deposit once (by its record's content); one that was waiting for its
    detail is itemized by the file that brings its items. Returns them by dedupe key."""
    if not deposits:
        return {}
    keys = [d.dedupe_key for d in deposits]
    stored = {
        d.dedupe_key: d for d in BankDeposit.objects.select_for_update().filter(dedupe_key__in=keys)
    }
    events = []
    for d in deposits:
        status = _deposit_status(d)
        found = stored.get(d.dedupe_key)
        if found is None:
            found = BankDeposit(
                dedupe_key=d.dedupe_key,
                import_file=record,
                line_number=d.line,
                account=d.account[:60],
                received_on=d.received_on,
                amount=d.amount,
                currency=d.currency,
                bank_reference=d.bank_reference,
                lockbox=d.lockbox,
                text=d.text,
                status=status,
                items=d.items,
                items_total=d.items_total,
                raw=jsonable(d.raw),
            )
            try:
                found.full_clean(exclude=["import_file"])
            except ValidationError as exc:
                # A deposit groups the payments after it: without it the file cannot be read
                # as the bank meant it, so the file is refused whole, naming the line.
                raise DomainError(
                    f"Line {d.line}: the lockbox deposit record cannot be kept "
                    f"({validation_text(exc)}); nothing from this file was stored."
                ) from exc
            found.save()
            stored[d.dedupe_key] = found
            action, before = "dues.deposit_received", None
        elif found.status == BankDeposit.Status.AWAITING_DETAIL and d.items:
            before = found.status
            transition(found, status, subject=f"Deposit {found.reference}")
            found.items, found.items_total = d.items, d.items_total
            found.save(update_fields=["status", "items", "items_total", "updated_at"])
            action = "dues.deposit_itemized"
        else:
            continue
        events.append(
            audit_event(
                action=action,
                summary=f"Lockbox deposit {found.reference}: "
                f"{format_money(found.amount, found.currency)}, "
                f"{found.get_status_display().lower()} ({d.items} items, line {d.line} of "
                f"{record.filename})",
                actor=uploaded_by,
                actor_name=uploaded_by.get_username() if uploaded_by else "bai2",
                object_type="bank_deposit",
                object_id=found.pk,
                data={"before": before, "after": found.status, "amount": found.amount},
            )
        )
    audit_record_many(events)
    return stored


def _line_error(line: int | None, exc: ValidationError) -> dict:
    """A line whose payment the model refuses (a value past its column, say), as a line error."""
    return {"line": line or 0, "error": validation_text(exc)}


def _import_lines(record: PaymentImport, source: str, lines: list, uploaded_by, deposits: dict):
    """Store a file's new lines in bulk: payments, intake entries and audit events.

    Imports of one source take turns (an advisory lock), so the same file uploaded twice at once
    still adds its lines once. A line the model refuses is reported by number, and not stored.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"dues_import:{source}"])
    keys = [line.dedupe_key for line in lines]
    existing: dict[str, int] = {}
    for start in range(0, len(keys), 5000):
        existing.update(
            Payment.objects.filter(
                source=source, dedupe_key__in=keys[start : start + 5000]
            ).values_list("dedupe_key", "pk")
        )
    duplicates = [
        {"line": ln.line, "payment": existing[ln.dedupe_key]}
        for ln in lines
        if ln.dedupe_key in existing
    ]
    payments = [
        Payment(
            source=source,
            dedupe_key=ln.dedupe_key,
            **{**ln.payment_fields(), "raw": jsonable(ln.raw)},
            import_file=record,
            line_number=ln.line,
            deposit=deposits.get(ln.deposit_key),
            entered_by=uploaded_by,
        )
        for ln in lines
        if ln.dedupe_key not in existing
    ]
    valid, refused = [], []
    for payment in payments:
        # the import and the uploader are known to exist: no query per line for them
        try:
            payment.full_clean(
                exclude=["import_file", "entered_by", "deposit"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            refused.append(_line_error(payment.line_number, exc))
            continue
        valid.append(payment)
    payments = valid
    Payment.objects.bulk_create(payments, batch_size=1000)
    actor_name = uploaded_by.get_username() if uploaded_by else source
    journal_record_many([intake_entry(payment, actor_name) for payment in payments])
    audit_record_many(
        [
            audit_event(
                action="dues.payment_received",
                summary=received_summary(payment),
                actor=uploaded_by,
                actor_name=actor_name,
                object_type="payment",
                object_id=payment.pk,
                data={
                    "source": source,
                    "amount": payment.amount,
                    "import": record.pk,
                    "line": payment.line_number,
                },
            )
            for payment in payments
        ]
    )
    added = [{"line": p.line_number, "payment": p.pk} for p in payments]
    return added, duplicates, refused


def import_report(record: PaymentImport) -> dict:
    """The JSON `import_payments` prints: the stored report plus the import's id."""
    return {"import": record.pk, **{k: v for k, v in record.report.items() if k != "payments"}}
