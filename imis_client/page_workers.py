"""The sync's page workers: fetching and parsing pages, in this process or in worker processes.

Decoding, parsing and formatting a row costs 5-25 µs of Python; one process can only use one
core for that. ``PagePool`` forks workers that each fetch pages, parse every record and make it
a binary COPY row, so the main process only compares hashes and streams rows to Postgres.
Both sources yield the same ``PreparedPage``s, in offset order.
"""

import gc
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent import futures
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import orjson
from django.utils import timezone

from common.heap import large_buffers_kept
from imis_client.client import ImisClient
from imis_client.contracts import ContractError, Ctx
from imis_client.contracts.wire import record_decoder
from imis_client.mirror_writer import MirrorWriter, PreparedRows
from imis_client.paged import Page


@contextmanager
def bulk_decoding() -> Iterator[None]:
    """For reading many pages: what is alive now (Django, the apps) is left out of garbage
    collection until the block ends, and large freed buffers are kept for the next page
    (common.heap).

    Decoding a page allocates tens of thousands of dicts, so the cyclic collector runs often, and
    each of its older-generation passes would walk every long-lived object again: a third of the
    CPU of parsing a page. JSON has no cycles, so nothing is lost by not looking at them.
    Entered before PagePool forks, its workers inherit the frozen objects too.
    """
    gc.collect()
    gc.freeze()
    try:
        with large_buffers_kept():
            yield
    finally:
        gc.unfreeze()


@dataclass
class PreparedPage:
    offset: int
    limit: int
    total: int | None
    has_next: bool
    next_offset: int | None
    fetched: int
    rows: PreparedRows = field(default_factory=PreparedRows)
    # (record id, message, field, record) of records that did not parse
    problems: list[tuple[str | None, str, str, object]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


def prepare_page(entity, writer: MirrorWriter, tz: ZoneInfo, page: Page) -> PreparedPage:
    """Parse a page fetched raw: each record is decoded for its parser (contracts.wire), and its
    text as iMIS sent it is what the mirror stores (and hashes), never an encoding of a copy."""
    out = PreparedPage(
        page.offset, page.limit, page.total, page.has_next, page.next_offset, len(page.items)
    )
    ctx = Ctx(entity.name, None, tz, id_of=entity.id_of)  # one for the page
    decode = record_decoder(entity.name)
    synced_at = timezone.now()  # when this page was read
    rows = out.rows
    ids, hashes, sizes, chunk = rows.ids, rows.hashes, rows.sizes, bytearray()
    for raw in page.items:
        ctx.record = record = decode(raw)
        ctx.record_id = None
        try:
            row = entity.parse(record, ctx)
        except ContractError as exc:
            # Kept whole for a person to read, not only the parts the parser looked at.
            out.problems.append((ctx.identify(), str(exc), exc.field, orjson.loads(raw)))
            continue
        before = len(chunk)
        imis_id, digest = writer.prepare_into(chunk, row, raw, synced_at)
        ids.append(imis_id)
        hashes.append(digest)
        sizes.append(len(chunk) - before)
    if chunk:
        # As bytes: a bytearray crosses to the main process as a copy of a copy (pickle makes
        # bytes of it first, then a bytearray again), 2.5 times the CPU of one page's bytes.
        rows.chunks.append(bytes(chunk))
    return out


def local_pages(client: ImisClient, entity, writer, tz, params, start_offset) -> Iterator:
    for page in client.iter_pages(entity.endpoint, params, start_offset=start_offset, raw=True):
        yield prepare_page(entity, writer, tz, page)


# --- worker processes -----------------------------------------------------------------------

_worker: dict = {}


def _init_worker(client_args: tuple, client_options: dict, tz_name: str) -> None:
    from imis_client.sync_entities import entities

    _worker["client"] = ImisClient(*client_args, **client_options)
    _worker["entities"] = {e.name: e for e in entities()}
    _worker["writers"] = {}
    _worker["tz"] = ZoneInfo(tz_name)
    _worker["reported"] = {}
    _worker["pages"] = 0
    # What the worker set up is long-lived (see bulk_decoding); and what it makes afterwards is
    # decoded JSON, which holds no cycles: reference counting frees it, so the collector only
    # runs between pages, every COLLECT_EVERY, for whatever else (an HTTP library's) might.
    gc.freeze()
    gc.disable()


COLLECT_EVERY = 50


def _ready() -> bool:
    return True


def _fetch_and_prepare(task: tuple) -> PreparedPage:
    name, params, offset, limit = task
    client: ImisClient = _worker["client"]
    entity = _worker["entities"][name]
    writer = _worker["writers"].setdefault(name, MirrorWriter(entity.model))
    page = client.fetch_page(entity.endpoint, params, offset, limit, raw=True)
    prepared = prepare_page(entity, writer, _worker["tz"], page)
    before = _worker["reported"]
    prepared.stats = {k: v - before.get(k, 0) for k, v in client.stats.items()}
    _worker["reported"] = dict(client.stats)
    _worker["pages"] += 1
    if _worker["pages"] % COLLECT_EVERY == 0:
        gc.collect()
    return prepared


class PagePool:
    """Worker processes that fetch and prepare pages; at most ``window`` pages in flight.

    A ProcessPoolExecutor rather than multiprocessing.Pool: Pool.terminate() can hang for ever
    on a queue lock an idle worker held when it was stopped (seen when a sync failed mid-entity),
    whereas the executor fails pending pages with BrokenProcessPool and shuts down cleanly.
    """

    def __init__(self, client: ImisClient, tz_name: str, processes: int = 2) -> None:
        self.client = client
        # A worker fetches one page at a time: with fewer workers than the client's concurrency,
        # fewer pages would be in flight than IMIS_CONCURRENCY says, and a slow site would be
        # read that much slower.
        processes = max(processes, client.concurrency)
        self.processes = processes
        self.window = processes * 2 + 1
        options = client.worker_options(share=processes)
        self.pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=((client.base_url, client.username, client._password), options, tz_name),
        )
        # The executor forks its workers at the first task: do it now, before the sync starts
        # any thread of its own (a fork copies only the forking thread, and no lock it holds).
        self.pool.submit(_ready).result()

    @staticmethod
    def available() -> bool:
        """Daemonic processes (django-q2's workers) may not have children."""
        return not multiprocessing.current_process().daemon

    def close(self) -> None:
        # Pages not yet started are dropped; those being fetched finish (bounded by the client's
        # timeout and retries), so no worker is stopped in the middle of anything.
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _take(self, result) -> PreparedPage:
        page = result.result()
        for key, value in page.stats.items():
            self.client.stats[key] = self.client.stats.get(key, 0) + value
        return page

    def pages(self, entity, params: dict, start_offset: int) -> Iterator[PreparedPage]:
        def submit(offset: int, limit: int):
            task = (entity.name, params, offset, limit)
            return offset, self.pool.submit(_fetch_and_prepare, task)

        first = self._take(submit(start_offset, self.client.page_size)[1])
        yield first
        if not first.has_next or first.next_offset is None:
            return
        limit = max(first.limit or len(first.rows) or self.client.page_size, 1)
        end = max(first.total or 0, first.next_offset + 1)
        planned = iter(range(first.next_offset, end, limit))
        in_flight: deque = deque()
        expected: int | None = first.next_offset
        while expected is not None:
            while len(in_flight) < self.window:
                offset = next(planned, None)
                if offset is None:
                    break
                in_flight.append(submit(offset, limit))
            if in_flight and in_flight[0][0] == expected:
                page = self._take(in_flight.popleft()[1])
            else:
                # The server shaped the pages differently than planned (rows came or went):
                # drop the plan and follow NextOffset one page at a time.
                futures.wait([pending for _, pending in in_flight])
                in_flight.clear()
                planned = iter(())
                page = self._take(submit(expected, limit)[1])
            yield page
            expected = page.next_offset if page.has_next else None
        futures.wait([pending for _, pending in in_flight])
