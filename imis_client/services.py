"""Writes of the iMIS connection: sync runs into the mirror, and outbox delivery to iMIS."""

import hashlib
import inspect
import logging
import random
import time
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.audit import audit_record
from common.errors import DomainError
from common.states import transition
from imis_client.client import ImisClient
from imis_client.errors import ImisAmbiguousWrite, ImisAuthError, ImisError, ImisRequestError
from imis_client.hooks import sync_finished
from imis_client.models import OutboxWrite, SyncRun, SyncState
from imis_client.page_workers import PagePool, bulk_decoding
from imis_client.paged import parse_paged
from imis_client.sync import EntitySyncer
from imis_client.sync_entities import entities, entity_names
from imis_client.sync_threads import IndexBuilder

log = logging.getLogger(__name__)

SYNC_LOCK = int.from_bytes(hashlib.blake2b(b"imis_sync", digest_size=4).digest(), "big")


# --- sync --------------------------------------------------------------------------------


def _sync_run_transition(run: SyncRun, to: str) -> None:
    transition(run, to, subject=f"Sync #{run.pk}")


def sync_run_execute(
    *,
    full: bool = False,
    only: list[str] | None = None,
    client: ImisClient | None = None,
    progress=None,
    job_run=None,
) -> SyncRun:
    """Sync the chosen entities (all by default) and record the run with per-entity counts.

    One sync at a time: a second one is refused while the first holds the lock.
    """
    chosen = [e for e in entities() if not only or e.name in only]
    unknown = set(only or []) - set(entity_names())
    if unknown:
        raise DomainError(
            f"Unknown entity {', '.join(sorted(unknown))}; choose from {', '.join(entity_names())}."
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SYNC_LOCK])
        if not cursor.fetchone()[0]:
            raise DomainError("A sync is already running; wait for it to finish.", code="busy")
    run = SyncRun.objects.create(full=full, entities=[e.name for e in chosen], job_run=job_run)
    own_client = client is None
    client = client or ImisClient.from_settings(concurrency=settings.IMIS_CONCURRENCY)
    started = time.monotonic()
    pool = None
    indexes = IndexBuilder()
    with bulk_decoding():
        try:
            # Workers are forked before the sync starts any thread of its own.
            if settings.IMIS_SYNC_PROCESSES > 1 and PagePool.available():
                pool = PagePool(client, settings.IMIS_TIME_ZONE, settings.IMIS_SYNC_PROCESSES)
            for entity in chosen:
                syncer = EntitySyncer(
                    client,
                    entity,
                    progress=progress,
                    pool=pool,
                    indexes=indexes,
                    run_started=run.created_at,
                )
                try:
                    counts = syncer.run(full=full)
                except ImisAuthError:
                    raise
                except (ImisError, DomainError) as exc:
                    # One entity's trouble (an endpoint this site lacks, say) must not stop
                    # the rest.
                    syncer.counts.seconds = 0
                    run.results[entity.name] = {**syncer.counts.as_dict(), "error": str(exc)}
                    SyncState.objects.filter(entity=entity.name).update(last_error=str(exc))
                    continue
                run.results[entity.name] = counts.as_dict()
                SyncRun.objects.filter(pk=run.pk).update(results=run.results)
            indexes.wait()
            errors = [r for r in run.results.values() if r.get("error")]
            _sync_run_transition(
                run, SyncRun.Status.PARTIAL if errors else SyncRun.Status.SUCCEEDED
            )
        except Exception as exc:
            _sync_run_transition(run, SyncRun.Status.FAILED)
            run.error = (
                f"{exc}\n\n{traceback.format_exc()}" if not isinstance(exc, ImisError) else str(exc)
            )
            raise
        finally:
            indexes.close()
            if pool is not None:
                pool.close()
            run.seconds = round(time.monotonic() - started, 2)
            run.finished_at = timezone.now()
            run.save()
            audit_record(
                action="imis.sync",
                summary=f"Sync #{run.pk} {run.status}: "
                f"{run.total('fetched'):,} read, {run.total('created'):,} new, "
                f"{run.total('updated'):,} changed",
                actor_name="system",
                object_type="sync_run",
                object_id=run.pk,
                data=run.totals,
            )
            if own_client:
                client.close()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SYNC_LOCK])
    if run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
        sync_finished.send(sender=SyncRun, run=run)
    return run


def sync_summary(run: SyncRun) -> dict:
    """The one JSON line `imis_sync` prints."""
    return {**run.results, "seconds": run.seconds, "status": run.status, "run": run.pk}


# --- outbox ------------------------------------------------------------------------------


def _outbox_reference() -> str:
    return f"DD-{timezone.now():%y%m%d}-{random.getrandbits(40):010x}"


@transaction.atomic
def outbox_enqueue(*, build, source: str = "", **kwargs) -> OutboxWrite:
    """Queue a write built by one of ``imis_client.contracts.writes``; delivered after commit.

    The builder receives our reference (when it takes one) so that the write carries it and can
    be found again in iMIS after an ambiguous failure.
    """
    return outbox_enqueue_many([(build, source, kwargs)])[0]


@transaction.atomic
def outbox_enqueue_many(writes: list[tuple]) -> list[OutboxWrite]:
    """Queue many writes at once, each ``(build, source, kwargs)`` as ``outbox_enqueue`` takes
    them: one INSERT, and one relay after commit."""
    rows = []
    for build, source, kwargs in writes:
        reference = _outbox_reference()
        if "reference" in inspect.signature(build).parameters:
            kwargs = {**kwargs, "reference": reference}
        method, path, body, readback_path, readback_params = build(**kwargs)
        write = OutboxWrite(
            reference=reference,
            entity=path.split("/")[2],
            method=method,
            path=path,
            body=body,
            readback_path=readback_path,
            readback_params=readback_params,
            next_attempt_at=timezone.now(),
            source=source[:200],
        )
        write.full_clean(validate_unique=False, validate_constraints=False)  # the database does
        rows.append(write)
    OutboxWrite.objects.bulk_create(rows, batch_size=1000)
    if rows:
        transaction.on_commit(lambda: async_task("imis_client.tasks.outbox_relay_task"))
    return rows


# A write being sent holds this advisory lock in its sender's database session until iMIS's
# answer is recorded. A write left SENDING whose lock nobody holds was being sent by a process
# that died (a worker killed mid-send, a restart): its session, and so its lock, went with it.
SENDING_LOCK = int.from_bytes(hashlib.blake2b(b"imis_outbox_sending", digest_size=4).digest()) >> 1


def _sending_lock(write_id: int) -> tuple[int, int]:
    return SENDING_LOCK, write_id % 2**31


def _sending_unlock(write_id: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _sending_lock(write_id))
    except DatabaseError:
        pass  # the session is gone (the database restarted), and its lock with it


def outbox_reclaim(*, limit: int = 200, now=None) -> int:
    """Writes left SENDING by a process that died before recording iMIS's answer: back to
    PENDING, marked ambiguous, so that the next try reads back by our reference first."""
    reclaimed = 0
    stuck = OutboxWrite.objects.filter(state=OutboxWrite.State.SENDING)
    for write_id in stuck.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _sending_lock(write_id))
                if not cursor.fetchone()[0]:
                    continue  # its sender is alive
            write = stuck.select_for_update().filter(pk=write_id).first()
            if write is None:
                continue
            _outbox_transition(write, OutboxWrite.State.PENDING)
            write.ambiguous = True
            write.last_error = (
                "The process sending it stopped before recording iMIS's answer; it is read "
                "back by its reference before it is sent again."
            )
            write.next_attempt_at = now or timezone.now()
            write.save()
            audit_record(
                action="imis.write_reclaimed",
                summary=f"{write.method} {write.path} taken up again ({write.reference})",
                actor_name="system",
                object_type="outbox_write",
                object_id=write.pk,
                data={"source": write.source, "attempts": write.attempts},
            )
            reclaimed += 1
    return reclaimed


def _outbox_backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.2))


def _outbox_transition(write: OutboxWrite, to: str) -> None:
    transition(write, to, subject=f"The write {write.reference}", field="state")


def outbox_deliver(*, write_id: int, client: ImisClient, now=None) -> OutboxWrite | None:
    """Deliver one due write, exactly once. Returns None when it was not due or is taken."""
    now = now or timezone.now()
    with transaction.atomic():
        write = (
            OutboxWrite.objects.select_for_update(skip_locked=True)
            .filter(pk=write_id, state=OutboxWrite.State.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if write is None:
            return None
        # taken before SENDING commits, so that a SENDING row always has its sender's lock
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", _sending_lock(write.pk))
        _outbox_transition(write, OutboxWrite.State.SENDING)
        write.attempts += 1
        write.save(update_fields=["state", "attempts", "updated_at"])
    try:
        return _outbox_send(write, client)
    finally:
        _sending_unlock(write.pk)


def _outbox_send(write: OutboxWrite, client: ImisClient) -> OutboxWrite | None:
    outcome: dict = {}
    try:
        if write.ambiguous and write.readback_path:
            found = _read_back(client, write)
            if found is not None:
                outcome = {"state": OutboxWrite.State.DELIVERED, "response": found}
        if not outcome:
            response = client.request(write.method, write.path, json=write.body, write=True)
            outcome = {"state": OutboxWrite.State.DELIVERED, "response": response}
    except ImisAmbiguousWrite as exc:
        outcome = {"state": OutboxWrite.State.PENDING, "error": str(exc), "ambiguous": True}
    except ImisRequestError as exc:
        # iMIS read the write and said no: sending it again would get the same answer.
        answer = {"status": exc.status, "body": exc.body[:2000]}
        outcome = {"state": OutboxWrite.State.FAILED, "error": str(exc), "response": answer}
    except ImisError as exc:
        outcome = {"state": OutboxWrite.State.PENDING, "error": str(exc)}
    with transaction.atomic():
        write = OutboxWrite.objects.select_for_update().get(pk=write.pk)
        if write.state == OutboxWrite.State.PENDING:
            # taken up meanwhile (this session lost its lock when the database restarted), not
            # yet sent again: this answer is the latest word on it
            _outbox_transition(write, OutboxWrite.State.SENDING)
        elif write.state != OutboxWrite.State.SENDING:
            return write  # another sender recorded its outcome
        state = outcome["state"]
        if (
            state == OutboxWrite.State.PENDING
            and write.attempts >= settings.IMIS_OUTBOX_MAX_ATTEMPTS
        ):
            state = OutboxWrite.State.FAILED
        _outbox_transition(write, state)
        write.last_error = outcome.get("error", "")
        write.ambiguous = write.ambiguous or outcome.get("ambiguous", False)
        if state in (OutboxWrite.State.DELIVERED, OutboxWrite.State.FAILED):
            write.response = outcome.get("response")
        if state == OutboxWrite.State.DELIVERED:
            write.delivered_at = timezone.now()
        elif state == OutboxWrite.State.PENDING:
            write.next_attempt_at = timezone.now() + _outbox_backoff(write.attempts)
        write.save()
        if state in (OutboxWrite.State.DELIVERED, OutboxWrite.State.FAILED):
            audit_record(
                action=f"imis.write_{state}",
                summary=f"{write.method} {write.path} {state} ({write.reference})",
                actor_name="system",
                object_type="outbox_write",
                object_id=write.pk,
                data={"source": write.source, "error": write.last_error[:300]},
            )
    return write


def _read_back(client: ImisClient, write: OutboxWrite) -> dict | None:
    """The write as iMIS holds it, found by our reference: the first row of a list that the
    read-back parameters filter, or, with ``$contains`` ({field: reference}), the one record
    whose field holds it (an invoice whose Note carries the adjustment's reference)."""
    params = dict(write.readback_params)
    contains = params.pop("$contains", None)
    body = client.get(write.readback_path, params or None)
    if contains is not None:
        held = isinstance(body, dict) and all(
            str(text) in str(body.get(field) or "") for field, text in contains.items()
        )
        return body if held else None
    found = parse_paged(body, write.entity)
    return found.items[0] if found.items else None


def outbox_relay(*, client: ImisClient | None = None, limit: int = 200, now=None) -> dict:
    """Deliver every due write; returns counts by resulting state."""
    now = now or timezone.now()
    reclaimed = outbox_reclaim(limit=limit, now=now)
    due = list(
        OutboxWrite.objects.filter(state=OutboxWrite.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {"reclaimed": reclaimed} if reclaimed else {}
    if not due:
        return counts
    own_client = client is None
    client = client or ImisClient.from_settings(concurrency=1)
    try:
        for write_id in due:
            write = outbox_deliver(write_id=write_id, client=client, now=now)
            if write is not None:
                counts[write.state] = counts.get(write.state, 0) + 1
    finally:
        if own_client:
            client.close()
    return counts


@transaction.atomic
def outbox_retry(*, write_id: int) -> OutboxWrite:
    """Send a failed write again now (a person decided the cause is fixed)."""
    write = OutboxWrite.objects.select_for_update().get(pk=write_id)
    _outbox_transition(write, OutboxWrite.State.PENDING)
    write.next_attempt_at = timezone.now()
    write.attempts = 0
    write.save()
    audit_record(
        action="imis.write_retried",
        summary=f"Retry of {write.reference} requested",
        object_type="outbox_write",
        object_id=write.pk,
    )
    transaction.on_commit(lambda: async_task("imis_client.tasks.outbox_relay_task"))
    return write


@transaction.atomic
def outbox_cancel(*, write_id: int) -> OutboxWrite:
    """Give up on a write that has not been delivered."""
    write = OutboxWrite.objects.select_for_update().get(pk=write_id)
    _outbox_transition(write, OutboxWrite.State.CANCELLED)
    write.save()
    audit_record(
        action="imis.write_cancelled",
        summary=f"{write.reference} cancelled; it will not be sent",
        object_type="outbox_write",
        object_id=write.pk,
    )
    return write
