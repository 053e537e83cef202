"""The sync's helper threads: one commits an entity's page batches in order while the next pages
are read, the other builds the indexes initial loads deferred while the next entities are read."""

import queue
import threading
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from imis_client.sync import EntitySyncer


class IndexBuilder:
    """Builds the indexes that initial loads deferred, on its own thread (and connection), one
    table after another, while the next entities are read.

    Building a table's indexes is PostgreSQL's work alone: done in line, it left the site idle
    for that long (on a slow site) or the page workers' cores (on a fast one). Call ``wait`` to
    raise a build's error, and ``close`` always.
    """

    def __init__(self) -> None:
        # Threads start at the first submit, so after the page workers are forked.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sync-indexes")
        self._pending: list = []

    def submit(self, build: Callable[[], None]) -> None:
        self._pending.append(self._thread.submit(build))

    def wait(self) -> None:
        for pending in self._pending:
            pending.result()

    def close(self) -> None:
        futures.wait(self._pending)
        self._thread.submit(_close_connection).result()
        self._thread.shutdown()


def _close_connection() -> None:
    connection.close()  # the calling thread's own (the proxy resolves per thread)


class BatchWriter:
    """Commits batches on its own thread (and database connection), one at a time, in order.

    At most two batches wait, so memory stays bounded when Postgres is slower than iMIS. An
    error in the thread is raised in the reading thread at the next submit or at exit.
    """

    def __init__(self, syncer: "EntitySyncer") -> None:
        self.syncer = syncer
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"sync-{syncer.entity.name}")

    def __enter__(self) -> "BatchWriter":
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while True:
                job = self.queue.get()
                if job is None:
                    return
                if self.error is None:
                    try:
                        self.syncer._commit(*job)
                    except BaseException as exc:  # re-raised in the reading thread
                        self.error = exc
        finally:
            connection.close()

    def submit(self, batch, absent, quarantine, resume_key, next_offset) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((batch, absent, quarantine, resume_key, next_offset))

    def __exit__(self, exc_type, exc, tb) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc is None:
            raise self.error
