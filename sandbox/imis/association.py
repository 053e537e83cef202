"""The synthetic association: its tables, hidden truth, clock and the changes it accepts."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from .entities import ENTITIES, resolve
from .schemas import PARTY_BASE
from .shapes import serialize_rows
from .simulation import advance
from .table import CacheBudget, Table

MALFORMED_KINDS = ("bad_date", "missing_type", "missing_id", "bad_number")


@dataclass
class Truth:
    """Ground truth that is never served over HTTP.

    ``members``: one row per party (index PartyId) with the hidden drivers of behaviour.
    ``terms``: one row per billed renewal term with its drivers, p_lapse and the destined
    ``outcome`` (on_time, late, partial, lapsed); ``lapsed`` is partial or lapsed. Terms
    billed by ``advance`` are appended. ``duplicates``: PartyId pairs of one real person.
    """

    members: pd.DataFrame
    terms: pd.DataFrame
    duplicates: list[tuple[str, str]]
    employer_drops: pd.DataFrame
    # One row per recent dues invoice once billing scenarios are added (sandbox/imis/billing).
    billing: pd.DataFrame | None = None

    def add_terms(self, frame: pd.DataFrame) -> np.ndarray:
        """Append terms; returns their row numbers (stored on the invoice schedule)."""
        start = len(self.terms)
        self.terms = pd.concat([self.terms, frame], ignore_index=True)
        return np.arange(start, len(self.terms))


class Association:
    """A synthetic iMIS site.

    Tables are attributes (``parties``, ``subscriptions``, ``invoices``, ``payments``,
    ``activities``, ``events``, ``registrations``, ``group_members``, ``comm_log``,
    ``relationships``, ``items``, ``risk``, ``audit``, ``notes``); ``truth`` holds the hidden
    factors; ``now`` is the site-local clock. All changes go through ``lock``.
    """

    def __init__(self, *, members, seed, as_of, tables, truth, prices, chapters, groups, now):
        self.members = members
        self.seed = seed
        self.as_of = as_of
        self.origin = np.datetime64(as_of, "D")
        self.now = now
        self.prices = prices
        self.chapters = chapters
        self.groups = groups
        self.tables: dict[str, Table] = tables
        self.cache_budget = CacheBudget()  # bytes of pre-serialised rows kept in memory
        for name, table in tables.items():
            setattr(self, name, table)
            table.budget = self.cache_budget
        self.truth = truth
        self.relationship_entity = "Name_RelationshipManager"
        # The site's fixed UTC offset: filter values that carry an offset are converted to it;
        # served dates never carry one (iMIS writes site-local time).
        self.site_utc_offset_minutes = -300
        self.lock = threading.RLock()
        self.malformed: dict[tuple[str, int], str] = {}
        # Which of the price shapes of CONTRACT.md the Item endpoint serves (a site's switch).
        self.item_shape = "sdk"
        # Whether Invoice/_execute takes adjustments ("ok") or answers 501 / 404 (writes.py).
        self.adjustments = "ok"
        self._last_stamp = now
        self.days_advanced = 0
        # Half-year whose aggregated engagement rows advance() keeps counting into.
        self.act_half = int(self.origin.astype("datetime64[M]").astype(np.int64) // 6)

    # -- clock ---------------------------------------------------------------------------
    @property
    def today(self) -> date:
        return self.now.astype("datetime64[D]").item()

    @property
    def now_datetime(self) -> datetime:
        return self.now.item()

    def stamp(self) -> np.datetime64:
        """A strictly increasing site-local stamp for a change made through the API."""
        one = np.timedelta64(1, "ms")
        self._last_stamp = max(self.now, self._last_stamp + one)
        return self._last_stamp

    def note_stamp(self, value: np.datetime64) -> None:
        if value > self._last_stamp:
            self._last_stamp = value

    def set_item_shape(self, shape: str) -> None:
        """Serve item prices in another shape: sdk, legacy or itemprice (shape_commerce)."""
        from .shape_commerce import ITEM_SHAPES

        if shape not in ITEM_SHAPES:
            raise ValueError(f"unknown item shape {shape!r}; use one of {', '.join(ITEM_SHAPES)}")
        with self.lock:
            self.item_shape = shape
            self.items.invalidate(np.arange(self.items.n))

    # -- lookups -------------------------------------------------------------------------
    def party_row(self, party_id) -> int | None:
        try:
            row = int(party_id) - PARTY_BASE
        except (TypeError, ValueError):
            return None
        return row if 0 <= row < self.parties.n else None

    def party_name(self, row: int) -> str:
        p = self.parties
        if p.get(row, "is_org"):
            return p.get(row, "org_name")
        return " ".join(x for x in (p.get(row, "first"), p.get(row, "last")) if x)

    def counts(self) -> dict[str, int]:
        """Rows per served entity."""
        return {t.name: t.n for name, t in self.tables.items() if name != "state"}

    # -- time ----------------------------------------------------------------------------
    def advance(self, days: int) -> dict[str, int]:
        """Move the clock forward ``days`` days, simulating what happens on each of them.

        Returns how many rows of each entity were inserted or changed.
        """
        with self.lock:
            return advance(self, int(days))

    # -- faults and fixtures -------------------------------------------------------------
    def malform(self, entity: str, ids, kind: str = "bad_date") -> int:
        """Make the rows with these ids serialise with a defect (for quarantine tests)."""
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"unknown malformed kind {kind!r}; use one of {MALFORMED_KINDS}")
        spec = resolve(entity, self.relationship_entity)
        if spec is None:
            raise ValueError(f"unknown entity {entity!r}")
        table = self.tables[ENTITIES[spec].table]
        done = 0
        with self.lock:
            for raw in ids:
                row = ENTITIES[spec].find(self, str(raw))
                if row is None:
                    raise ValueError(f"{entity} {raw!r} does not exist")
                self.malformed[(table.name, row)] = kind
                table.invalidate([row])
                done += 1
        return done

    def clear_malformed(self) -> None:
        """Serve every row normally again."""
        with self.lock:
            for table_name, row in list(self.malformed):
                for t in self.tables.values():
                    if t.name == table_name:
                        t.invalidate([row])
            self.malformed.clear()

    def digest(self) -> str:
        """SHA-256 over every served row's JSON (for determinism checks)."""
        h = hashlib.sha256()
        with self.lock:
            for spec in ENTITIES.values():
                table = self.tables[spec.table]
                if spec.alias_of:
                    continue
                idx = np.arange(table.n)
                for start in range(0, len(idx), 5000):
                    for blob in serialize_rows(self, spec, idx[start : start + 5000]):
                        h.update(blob)
        return h.hexdigest()
