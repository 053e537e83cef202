"""Sync iMIS into the mirror: exact, resumable, and quiet when nothing changed.

Per entity, a run (1) reads iMIS's newest change stamp (the probe), (2) scans either everything or
the rows changed since the last watermark minus an overlap window, committing page batches and a
resume point together, (3) reads again what changed during the scan (catch-up), and only then
(4) advances the watermark to the probe taken before the catch-up. Rows changed while the run was
going on therefore always carry a stamp at or after the new watermark and are read next time.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from imis_client import models as m
from imis_client.client import ImisClient
from imis_client.contracts import Ctx, local_datetime
from imis_client.mirror_writer import MirrorWriter, PreparedRows
from imis_client.page_workers import PagePool, local_pages
from imis_client.sync_entities import SyncEntity
from imis_client.sync_threads import BatchWriter, IndexBuilder

BATCH_ROWS = 2000
INVOICE_LOOKUP_CHUNK = 100


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deleted: int = 0
    pages: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "deleted": self.deleted,
            "seconds": round(self.seconds, 2),
        }


class NullProgress:
    def stage(self, *args, **kwargs) -> None: ...
    def advance(self, *args, **kwargs) -> None: ...
    def note(self, *args, **kwargs) -> None: ...


class EntitySyncer:
    """Runs the sync of one entity against one client."""

    def __init__(
        self,
        client: ImisClient,
        entity: SyncEntity,
        *,
        progress=None,
        pool: PagePool | None = None,
        indexes: "IndexBuilder | None" = None,
        run_started: datetime | None = None,
    ) -> None:
        self.client = client
        self.pool = pool
        self.indexes = indexes
        self.entity = entity
        self.progress = progress or NullProgress()
        self.tz = ZoneInfo(settings.IMIS_TIME_ZONE)
        self.overlap = timedelta(minutes=settings.IMIS_SYNC_OVERLAP_MINUTES)
        self.writer = MirrorWriter(entity.model)
        self.counts = Counts()
        self.seen: set[str] = set()
        # An initial load: the table was empty when the run began, so an id not met before in
        # this run is not in it (one sync at a time), and its batch skips the lookup.
        self.started_empty = False
        self.open_quarantine = True  # whether records of this entity may await release
        self.run_started = run_started or timezone.now()

    # --- the pieces ---------------------------------------------------------------------

    def _state(self) -> m.SyncState:
        state, _ = m.SyncState.objects.get_or_create(entity=self.entity.name)
        return state

    def _format(self, moment: datetime) -> str:
        """A filter value in iMIS's own form: site-local time without an offset."""
        return moment.astimezone(self.tz).replace(tzinfo=None).isoformat(timespec="seconds")

    def probe(self) -> datetime | None:
        """iMIS's newest change stamp for this entity right now."""
        entity = self.entity
        params = dict(entity.params)
        params["OrderBy"] = f"{entity.stamp_filter}:Descending"
        page = self.client.fetch_page(entity.endpoint, params, 0, 1)
        if not page.items:
            return None
        ctx = Ctx(entity.name, entity.id_of(page.items[0]), self.tz)
        assert entity.stamp_of is not None  # entities with a stamp filter read a stamp
        return local_datetime(ctx, entity.stamp_of(page.items[0]), entity.stamp_filter)

    def _params(self, extra: dict | None = None) -> dict:
        params = dict(self.entity.params)
        if self.entity.order_by:
            params["OrderBy"] = self.entity.order_by
        params.update(extra or {})
        return params

    def scan(self, params: dict, *, resume_key: dict | None = None, start_offset: int = 0) -> None:
        """Read every page of a query and upsert it, committing a resume point with each batch.

        Pages are parsed by worker processes (or here, without a pool) while a writer thread
        commits the previous batch, so Postgres works while the next pages are read.
        """
        entity = self.entity
        if self.pool is not None:
            pages = self.pool.pages(entity, params, start_offset)
        else:
            pages = local_pages(self.client, entity, self.writer, self.tz, params, start_offset)
        batch = PreparedRows()
        absent: set[str] = set()
        quarantine: list[tuple] = []
        started = time.monotonic()
        with BatchWriter(self) as writer:
            for page in pages:
                self.counts.pages += 1
                self.counts.fetched += page.fetched
                if page.total is not None and self.counts.pages == 1:
                    self.progress.stage(
                        f"{entity.name}",
                        total=max(page.total - start_offset, 0),
                        message=f"reading {entity.endpoint}",
                    )
                batch.extend(page.rows)
                quarantine.extend(page.problems)
                ids = page.rows.ids
                if self.started_empty:
                    absent.update(set(ids) - self.seen)
                self.seen.update(ids)
                next_offset = page.next_offset if page.has_next else None
                elapsed = max(time.monotonic() - started, 1e-6)
                self.progress.advance(
                    page.fetched,
                    message=f"{entity.name}: page {self.counts.pages}, "
                    f"{self.counts.fetched / elapsed:,.0f} rows/s",
                )
                if len(batch) >= BATCH_ROWS or next_offset is None:
                    writer.submit(batch, absent, quarantine, resume_key, next_offset)
                    batch, absent, quarantine = PreparedRows(), set(), []
            if batch or quarantine:
                writer.submit(batch, absent, quarantine, resume_key, None)

    def _commit(self, batch, absent, quarantine, resume_key, next_offset) -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # A lost commit after a crash is re-read from the last committed resume point.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            created, updated, unchanged = self.writer.write(batch, absent=absent)
            self.counts.created += created
            self.counts.updated += updated
            self.counts.unchanged += unchanged
            for record_id, message, field_name, record in quarantine:
                self._quarantine(record_id, message, field_name, record)
            self._resolve_quarantine(batch.ids)
            if resume_key is not None:
                resume = {**resume_key, "offset": next_offset} if next_offset else None
                m.SyncState.objects.filter(entity=self.entity.name).update(resume=resume)

    def _quarantine(self, record_id, message: str, field_name: str, record) -> None:
        self.counts.quarantined += 1
        self.open_quarantine = True
        item, created = m.SyncQuarantine.objects.get_or_create(
            entity=self.entity.name,
            imis_id=(record_id or "")[:80],
            defaults={"reason": message, "field": field_name[:120], "raw": record},
        )
        if not created:
            item.reason, item.field, item.raw = message, field_name[:120], record
            item.times_seen += 1
            item.resolved_at = None
            item.save()

    def _resolve_quarantine(self, ids: list[str]) -> None:
        if ids and self.open_quarantine:
            m.SyncQuarantine.objects.filter(
                entity=self.entity.name, imis_id__in=ids, resolved_at__isnull=True
            ).update(resolved_at=timezone.now())

    # --- the modes ----------------------------------------------------------------------

    def run(self, *, full: bool) -> Counts:
        started = time.monotonic()
        state = self._state()
        self.started_empty = self.writer.is_empty()
        self.open_quarantine = m.SyncQuarantine.objects.filter(
            entity=self.entity.name, resolved_at__isnull=True
        ).exists()
        self._defer_indexes_if_empty(state)
        mode = self.entity.mode
        try:
            if mode == "full" or (full and mode in ("stamp", "recent")):
                self._run_full(state, deletions=mode in ("full", "recent"))
            elif mode == "stamp":
                self._run_stamp(state)
            elif mode == "recent":
                self._run_recent(state)
            else:
                self._run_invoices(state, full=full)
        finally:
            if self.indexes is not None:
                self.indexes.submit(self._restore_indexes)
            else:
                self._restore_indexes()
        self.counts.seconds = time.monotonic() - started
        return self.counts

    # --- initial loads ------------------------------------------------------------------

    def _defer_indexes_if_empty(self, state: m.SyncState) -> None:
        """An empty table loads faster without its secondary indexes; they are built once after.

        The CREATE statements are saved in the same transaction as the DROPs, so a process that
        dies mid-load leaves a record of what to rebuild: the next run keeps loading without them
        and rebuilds them when it ends.
        """
        if state.deferred_indexes:
            return  # an interrupted initial load: continue it, then rebuild
        with transaction.atomic():
            dropped = self.writer.drop_secondary_indexes_if_empty()
            if dropped:
                m.SyncState.objects.filter(pk=state.pk).update(deferred_indexes=dropped)

    def _restore_indexes(self) -> None:
        state = m.SyncState.objects.get(entity=self.entity.name)
        if not state.deferred_indexes:
            return
        self.progress.note(f"{self.entity.name}: building indexes")
        with transaction.atomic():
            self.writer.create_indexes(state.deferred_indexes)
            m.SyncState.objects.filter(pk=state.pk).update(deferred_indexes=[])

    def _resume_offset(self, state: m.SyncState, key: dict) -> int:
        resume = state.resume or {}
        if resume.get("offset") and {k: resume.get(k) for k in key} == key:
            return int(resume["offset"])
        return 0

    def _finish(self, *, watermark: datetime | None, full: bool) -> None:
        now = timezone.now()
        fields = {"resume": None, "last_success_at": now, "last_error": ""}
        if watermark is not None:
            fields["watermark"] = watermark
        if full:
            fields["last_full_at"] = now
        m.SyncState.objects.filter(entity=self.entity.name).update(**fields)

    def _start(self, state: m.SyncState, key: dict) -> tuple[int, datetime | None]:
        """Where to start, and the probe to catch up from: a resumed scan keeps its first probe,
        so rows changed before the interruption are still read again."""
        offset = self._resume_offset(state, key)
        resume = state.resume or {}
        if offset and resume.get("probe"):
            return offset, datetime.fromisoformat(resume["probe"])
        return offset, (self.probe() if self.entity.stamp_filter else None)

    def _run_full(self, state: m.SyncState, *, deletions: bool) -> None:
        key = {"kind": "full"}
        offset, probe = self._start(state, key)
        resume_key = {**key, "probe": probe.isoformat() if probe else None}
        self.scan(self._params(), resume_key=resume_key, start_offset=offset)
        if deletions and offset == 0:
            # Only a scan that started at the beginning has seen every row.
            with transaction.atomic():
                self.counts.deleted = self.writer.mark_missing_deleted(
                    self.seen, now=timezone.now()
                )
        if probe is not None:
            probe = self._catch_up(probe)
        self._finish(watermark=probe, full=True)

    def _since(self, moment: datetime) -> dict:
        return {self.entity.stamp_filter: f"ge:{self._format(moment - self.overlap)}"}

    def _run_stamp(self, state: m.SyncState) -> None:
        if state.watermark is None:
            self._run_full(state, deletions=False)
            return
        key = {"kind": "since", "since": state.watermark.isoformat()}
        offset, probe = self._start(state, key)
        resume_key = {**key, "probe": probe.isoformat() if probe else None}
        self.scan(
            self._params(self._since(state.watermark)), resume_key=resume_key, start_offset=offset
        )
        if probe is not None:
            probe = self._catch_up(probe)
        self._finish(watermark=probe or state.watermark, full=False)

    def _catch_up(self, probe: datetime, rounds: int = 3) -> datetime:
        """Re-read what changed since the probe taken before the scan; returns the new mark."""
        for _ in range(rounds):
            newest = self.probe()
            if newest is None or newest <= probe:
                return probe
            self.scan(self._params(self._since(probe)))
            probe = newest
        return probe

    def _run_recent(self, state: m.SyncState) -> None:
        """New rows each run; the whole table, with its updates and deletions, once a day."""
        due = state.last_full_at is None or timezone.now() - state.last_full_at >= timedelta(
            hours=settings.IMIS_FULL_REREAD_HOURS
        )
        if due or state.watermark is None:
            self._run_full(state, deletions=True)
            return
        probe = self.probe()
        self.scan(self._params(self._since(state.watermark)))
        if self.entity.name == "registration" and probe is not None:
            # Attendance is recorded after an event, on registrations made long before it.
            recent = m.ImisEvent.objects.filter(
                starts_at__gte=probe - timedelta(days=settings.IMIS_ATTENDANCE_DAYS),
                starts_at__lte=probe + timedelta(days=1),
                deleted_at__isnull=True,
            ).values_list("imis_id", flat=True)
            for chunk in _chunks(list(recent), INVOICE_LOOKUP_CHUNK):
                self.scan(self._params({"EventId": "in:" + "|".join(chunk)}))
        if probe is not None:
            probe = self._catch_up(probe)
        self._finish(watermark=probe or state.watermark, full=False)

    def _run_invoices(self, state: m.SyncState, *, full: bool) -> None:
        """Invoices carry no change stamp. Each run reads the new ones and those whose dues lines
        changed in this run (a payment moves the subscription's stamp); every
        IMIS_OPEN_INVOICE_SWEEP_MINUTES it also re-reads every open invoice and looks up each one
        the mirror still holds open that iMIS no longer lists as open."""
        if full or state.watermark is None:
            self._run_full(state, deletions=False)
            m.SyncState.objects.filter(entity=self.entity.name).update(last_sweep_at=timezone.now())
            return
        probe = self.probe()
        self.scan(self._params(self._since(state.watermark)))
        touched = (
            set(
                m.ImisSubscription.objects.filter(synced_at__gte=self.run_started)
                .exclude(invoice_id="")
                .values_list("invoice_id", flat=True)
            )
            - self.seen
        )
        for chunk in _chunks(sorted(touched), INVOICE_LOOKUP_CHUNK):
            self.scan(self._params({"InvoiceId": "in:" + "|".join(chunk)}))
        sweep = state.last_sweep_at is None or timezone.now() - state.last_sweep_at >= timedelta(
            minutes=settings.IMIS_OPEN_INVOICE_SWEEP_MINUTES
        )
        if sweep:
            self._sweep_open_invoices()
        self._finish(watermark=probe or state.watermark, full=False)
        if sweep:
            m.SyncState.objects.filter(entity=self.entity.name).update(last_sweep_at=timezone.now())

    def _sweep_open_invoices(self) -> None:
        self.scan(self._params({"Balance": "ne:0"}))
        stale = list(
            m.ImisInvoice.objects.filter(is_open=True, deleted_at__isnull=True)
            .exclude(imis_id__in=self.seen)
            .values_list("imis_id", flat=True)
        )
        for chunk in _chunks(stale, INVOICE_LOOKUP_CHUNK):
            self.scan(self._params({"InvoiceId": "in:" + "|".join(chunk)}))
        gone = set(stale) - self.seen
        if gone:
            with transaction.atomic():
                self.counts.deleted += m.ImisInvoice.objects.filter(
                    imis_id__in=gone, deleted_at__isnull=True
                ).update(deleted_at=timezone.now(), is_open=False)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
