"""After the soak's load: let the stack finish what it was given, then check that nothing was
lost or doubled, read from the database, the iMIS sandbox and the SMTP sink's mbox.

Runs in the soak's own process with Django set up on the soak's database.
"""

from __future__ import annotations

import mailbox
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path


def _fresh_connection() -> None:
    from django.db import connection

    connection.close()  # the cluster was restarted during the run


def open_work() -> dict[str, int]:
    """What is still on its way: queued tasks, events, writes, messages, approvals, holds."""
    from django.utils import timezone
    from django_q.models import OrmQ

    from dues.models import Payment, WebhookEvent
    from imis_client.models import OutboxWrite
    from reviews.models import Communication, ReviewItem

    now = timezone.now()
    return {
        "tasks": OrmQ.objects.count(),
        "events_received": WebhookEvent.objects.filter(status="received").count(),
        "writes_open": OutboxWrite.objects.filter(state__in=("pending", "sending")).count(),
        "messages_open": Communication.objects.filter(status__in=("queued", "sending")).count(),
        "approvals_waiting": ReviewItem.objects.filter(status__in=("approved", "edited")).count(),
        "holds_due": Payment.objects.filter(status="held", hold_until__lte=now).count(),
    }


def tasks_by_function() -> dict[str, int]:
    """The queued tasks by what they run (to see what a backlog is made of)."""
    from django_q.models import OrmQ

    found: Counter = Counter()
    for row in OrmQ.objects.all():
        try:
            found[str(row.task["func"]).rsplit(".", 1)[-1]] += 1
        except Exception:
            found["unreadable"] += 1
    return dict(found.most_common())


def drain(limit_seconds: float, log, *, stall_seconds: float = 90.0) -> dict:
    """Run the recurring work now rather than at its next schedule, until nothing is left: the
    webhook sweep (past its ten-minute wait for events that failed, such as a refund that came
    before its payment), approved items whose task was lost, posting of holds that ended, the
    outbox relay and the message delivery. Returns what was still open.

    A backlog that is still shrinking is not lost work, only slow work (the worker queue after
    twenty webhooks a second on a busy machine): the drain goes on while the open work fell
    within the last ``stall_seconds``, up to three times ``limit_seconds``; it stops at
    ``limit_seconds`` only when nothing moves. What is left then is reported as lost."""
    from django.utils import timezone

    from dues.intake.events import webhook_events_sweep
    from dues.services import payments_post_due
    from imis_client.services import outbox_relay
    from reviews.communications import communication_deliver
    from reviews.models import Communication
    from reviews.tasks import review_items_execute_due_task

    started = time.monotonic()
    hard_deadline = started + 3 * limit_seconds
    last_progress, least_open = started, None
    left: dict[str, int] = {}
    while time.monotonic() < hard_deadline:
        _fresh_connection()
        try:
            webhook_events_sweep(now=timezone.now() + timedelta(minutes=11))
            review_items_execute_due_task()
            payments_post_due()
            # past the retry backoffs; a write being sent is not touched (it is not pending)
            outbox_relay(now=timezone.now() + timedelta(hours=2))
            # messages refused while the SMTP server was down, past their backoff (1, 2, 4 min);
            # one being handed over stays with its sender: 8 min is well inside its 10-min lease
            later = timezone.now() + timedelta(minutes=8)
            for pk in Communication.objects.filter(status="queued").values_list("pk", flat=True):
                communication_deliver(communication_id=pk, now=later)
            left = open_work()
        except Exception as exc:  # the stack may still be settling: try again shortly
            log(f"drain: {type(exc).__name__}: {exc}")
            time.sleep(2)
            continue
        if not any(left.values()):
            break
        now, total = time.monotonic(), sum(left.values())
        if least_open is None or total < least_open:
            least_open, last_progress = total, now
        if now - started > limit_seconds and now - last_progress > stall_seconds:
            log(f"drain: nothing moved for {stall_seconds:.0f} s; giving up with {left}")
            break
        log(f"drain: still open {left}")
        time.sleep(3)
    return {k: v for k, v in left.items() if v}


def check_webhooks(ledger) -> dict:
    """Every accepted event stored once and processed once; every payment they carry stored
    once; refunds applied."""
    from dues.models import Payment, WebhookEvent

    stored = {
        (source, event_id): status
        for source, event_id, status in WebhookEvent.objects.values_list(
            "source", "event_id", "status"
        )
    }
    missing = [key for key in ledger.accepted if key not in stored]
    unprocessed = Counter(
        stored[key] for key in ledger.accepted if stored.get(key) in ("received", "failed")
    )
    payments = Counter(
        Payment.objects.filter(source__in=("stripe", "authorizenet")).values_list(
            "source", "dedupe_key"
        )
    )
    expected = {key for key, delivery in ledger.accepted.items() if delivery.kind != "refund"}
    keys = {(ledger.accepted[k].source, ledger.accepted[k].dedupe_key) for k in expected}
    without_payment = [k for k in keys if payments[k] == 0]
    doubled = [k for k, n in payments.items() if n > 1]
    refunded = set(
        Payment.objects.filter(refunded_amount__gt=0).values_list("source", "dedupe_key")
    )
    refunds_missing = [k for k in ledger.refunds if k not in refunded]
    return {
        "accepted": len(ledger.accepted),
        "never_answered": len(ledger.unanswered),
        "not_stored": len(missing),
        "not_processed": dict(unprocessed),
        "payments_missing": len(without_payment),
        "payments_doubled": len(doubled),
        "refunds_missing": len(refunds_missing),
    }


def check_imports(uploads: list[dict]) -> dict:
    """A new file adds its lines once; a file sent again adds nothing."""
    from dues.models import PaymentImport

    records = PaymentImport.objects.in_bulk([u["import"] for u in uploads])
    missing = sum(1 for u in uploads if u["import"] not in records)
    repeated_added = sum(
        records[u["import"]].added for u in uploads if u["repeat"] and u["import"] in records
    )
    short = 0
    for u in uploads:
        record = records.get(u["import"])
        if record and record.payments.count() != record.added:
            short += 1
    return {
        "uploads": len(uploads),
        "imports_missing": missing,
        "repeated_files_added": repeated_added,
        "imports_short": short,
    }


def check_imis(log) -> dict:
    """Every delivered write found in the sandbox exactly once by its reference; every write
    still undelivered counted by state."""
    from concurrent.futures import ThreadPoolExecutor

    from imis_client.client import ImisClient
    from imis_client.models import OutboxWrite
    from imis_client.paged import parse_paged

    undelivered = Counter(
        OutboxWrite.objects.exclude(state="delivered").values_list("state", flat=True)
    )
    writes = list(
        OutboxWrite.objects.filter(state="delivered")
        .exclude(readback_path="")
        .values_list("reference", "entity", "readback_path", "readback_params")
    )
    found: Counter = Counter()
    with ImisClient.from_settings(concurrency=8) as client:

        def count(write) -> tuple[str, int]:
            reference, entity, path, params = write
            try:
                return reference, len(parse_paged(client.get(path, params), entity).items)
            except Exception as exc:
                log(f"read back {reference}: {exc}")
                return reference, -1

        with ThreadPoolExecutor(max_workers=8) as pool:
            for _reference, n in pool.map(count, writes):
                found[n] += 1
    return {
        "writes_delivered": len(writes),
        "writes_found_once": found[1],
        "writes_not_found": found[0],
        "writes_found_twice_or_more": sum(n for k, n in found.items() if k > 1),
        "writes_unreadable": found[-1],
        "writes_undelivered": dict(undelivered),
    }


def check_messages(mbox_path: Path) -> dict:
    """Every message sent is in the sink's mbox once (by its idempotency key)."""
    from reviews.models import Communication

    in_box: Counter = Counter()
    if mbox_path.exists():
        for message in mailbox.mbox(str(mbox_path)):
            in_box[message.get("X-DuesDesk-Key", "")] += 1
    sent = list(
        Communication.objects.filter(channel="email", status="sent").values_list("key", flat=True)
    )
    unsent = Counter(
        Communication.objects.filter(channel="email")
        .exclude(status="sent")
        .values_list("status", flat=True)
    )
    return {
        "messages_sent": len(sent),
        "messages_in_sink_once": sum(1 for key in sent if in_box[key] == 1),
        "messages_missing_from_sink": sum(1 for key in sent if in_box[key] == 0),
        "messages_in_sink_twice_or_more": sum(1 for key in sent if in_box[key] > 1),
        "messages_not_sent": dict(unsent),
    }


def check_ledger(undone: Counter) -> dict:
    """The journal balances, and each entry matches what happened: one intake per payment, one
    application per carried-out decision, one undo per undo answered, postings and refunds only
    for payments that were posted or refunded."""
    from django.db.models import Count, Q, Sum

    from dues.kinds import KIND
    from dues.models import JournalLine, JournalTransaction, Payment
    from reviews.models import ReviewItem

    total = JournalLine.objects.aggregate(total=Sum("amount"))["total"] or 0
    unbalanced = (
        JournalLine.objects.values("transaction")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .count()
    )
    kinds = dict(JournalTransaction.objects.values_list("kind").annotate(n=Count("id")))
    per_payment = Payment.objects.annotate(
        intakes=Count("journal", filter=Q(journal__kind="intake")),
        applies=Count("journal", filter=Q(journal__kind="apply")),
        undos=Count("journal", filter=Q(journal__kind="undo")),
        posts=Count("journal", filter=Q(journal__kind="post")),
    ).values_list("pk", "status", "intakes", "applies", "undos", "posts")
    items: dict[int, list[str]] = {}
    for payment, action, status in ReviewItem.objects.filter(kind=KIND).values_list(
        "payload__payment", "payload__action", "status"
    ):
        # "not ours" is carried out without an application entry
        items.setdefault(int(payment), []).append(status if action != "not_ours" else action)
    mismatched: Counter = Counter()
    samples: list[dict] = []
    for pk, status, intakes, applies, undos, posts in per_payment:
        carried_out = sum(1 for s in items.get(pk, []) if s in ("done", "reversed"))
        wrong = []
        if intakes != 1:
            wrong.append("intake")
        if applies != carried_out:
            wrong.append("apply without a decision carried out")
        # a refund during the hold reverses the application first
        refunded_in_hold = status == "refunded" and posts == 0 and applies > undone[pk]
        if undos != undone[pk] + refunded_in_hold:
            wrong.append("undo without an undo answered")
        if posts > 1 or (status == "posted" and posts != 1):
            wrong.append("post")
        mismatched.update(wrong)
        if wrong and len(samples) < 8:
            samples.append(
                {
                    "payment": pk,
                    "status": status,
                    "wrong": wrong,
                    "entries": {"apply": applies, "undo": undos, "post": posts},
                    "items": items.get(pk, []),
                    "undos_answered": undone[pk],
                }
            )
    return {
        "balanced": total == 0 and unbalanced == 0,
        "sum_of_lines": str(total),
        "unbalanced_transactions": unbalanced,
        "entries": kinds,
        "entries_without_their_decision": dict(mismatched),
        "samples": samples,
    }


def check_stuck() -> dict:
    """Review items with no way forward: approved but with no task queued to carry them out,
    or executing (which a committed transaction never leaves behind)."""
    from django.db.models import Count
    from django_q.models import OrmQ

    from reviews.models import ReviewItem

    queued = set()
    for row in OrmQ.objects.all():
        try:
            queued.add(row.task["name"])
        except Exception:
            continue
    waiting = ReviewItem.objects.filter(status__in=("approved", "edited")).values_list(
        "pk", flat=True
    )
    return {
        "approved_without_task": sum(1 for pk in waiting if f"review-{pk}" not in queued),
        "executing": ReviewItem.objects.filter(status="executing").count(),
        "failed_effects": ReviewItem.objects.filter(status="failed").count(),
        "by_status": dict(ReviewItem.objects.values_list("status").annotate(n=Count("id"))),
    }


def check_audit() -> dict:
    from common.audit import audit_verify

    return audit_verify()
