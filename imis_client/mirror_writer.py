"""Bulk upserts into a mirror table with COPY: new rows go straight in, changed rows through a
staging table, unchanged rows not at all.

The ORM's bulk_create is ~17 times slower than COPY here. Each batch first reads the stored
hashes of its ids (one indexed query); a row whose payload hash is unchanged is skipped, so a sync
that finds nothing new writes nothing. Only one sync runs at a time (an advisory lock in
services.sync_run_execute), so no other writer can insert the same id between check and COPY.
"""

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import psycopg
import xxhash
from django.db import connection

from imis_client.models import MirrorModel

# Table and column names below come from model metadata, never from input.


def raw_hash(raw_json: bytes) -> int:
    """A 64-bit signed hash of the payload bytes (fits a Postgres bigint)."""
    value = xxhash.xxh3_64_intdigest(raw_json)
    return value - (1 << 64) if value >= (1 << 63) else value


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in COPY's text format (psycopg's per-value dumpers cost 4x more here)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if isinstance(value, datetime | date):
        # The parsers hand out the same date objects for the same text (see contracts._Memo),
        # and formatting one with its time zone costs ~1 µs.
        text = _MOMENTS.get(value)
        if text is None:
            text = value.isoformat()
            if len(_MOMENTS) >= 50_000:
                _MOMENTS.clear()
            _MOMENTS[value] = text
        return text
    return str(value)


_MOMENTS: dict[
    object, str
] = {}  # date or datetime -> its COPY text (a date never equals a datetime)


def encode_raw(record: dict) -> bytes:
    """A record built here (not read from iMIS) as the mirror stores it: compact JSON."""
    return orjson.dumps(record)


_COPY_RAW_ESCAPES = ((b"\\", b"\\\\"), (b"\n", b"\\n"), (b"\r", b"\\r"), (b"\t", b"\\t"))


@dataclass
class PreparedRows:
    """Rows prepared for COPY, kept compact to cross from a page worker to the writer: their ids
    and payload hashes, and their COPY lines (without the bookkeeping stamps) joined in chunks,
    each line ended by a newline. A line holds no newline of its own (COPY's escapes), so a
    chunk splits back into its lines exactly, and an initial load's chunks go to COPY whole."""

    ids: list[str] = field(default_factory=list)
    hashes: list[int] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)

    @classmethod
    def of(cls, rows: list[tuple[str, int, bytes]]) -> "PreparedRows":
        """From MirrorWriter.prepare's (imis_id, hash, line) tuples."""
        if not rows:
            return cls()
        ids, hashes, lines = zip(*rows, strict=True)
        return cls(list(ids), list(hashes), [b"\n".join(lines) + b"\n"])

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, other: "PreparedRows") -> None:
        self.ids.extend(other.ids)
        self.hashes.extend(other.hashes)
        self.chunks.extend(other.chunks)

    def rows(self) -> list[tuple[str, int, bytes]]:
        lines: list[bytes] = []
        for chunk in self.chunks:
            lines.extend(chunk.split(b"\n"))
            lines.pop()  # after the last newline
        return list(zip(self.ids, self.hashes, lines, strict=True))


class MirrorWriter:
    """Writes batches of parsed rows into one mirror table; call inside a transaction."""

    def __init__(self, model: type[MirrorModel]) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.stage = f"_stage_{self.table}"
        fields = [f for f in model._meta.concrete_fields if f.name != "id"]
        self.columns = [f.column for f in fields]
        # The typed columns the parser fills, in table order; the four bookkeeping ones follow.
        self.data_fields = [
            f.name for f in fields if f.name not in ("raw", "raw_hash", "synced_at", "deleted_at")
        ]
        self.copy_columns = ", ".join(
            f'"{c}"'
            for c in [
                *[getattr(model._meta.get_field(n), "column", n) for n in self.data_fields],
                "raw",
                "raw_hash",
                "synced_at",
                "deleted_at",
            ]
        )

    def _ensure_stage(self, cursor) -> None:
        # Temp tables belong to a connection, and each writer thread has its own.
        cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{self.stage}" ON COMMIT DELETE ROWS AS '
            f'SELECT {self.copy_columns} FROM "{self.table}" WITH NO DATA'
        )

    def prepare(self, row: dict, raw: bytes) -> tuple[str, int, bytes]:
        """A parsed row as (imis_id, payload hash, COPY line without the bookkeeping stamps).

        Runs where the row was parsed (possibly a worker process), so the main process only
        compares hashes and streams lines. Lines are bytes: the payload is never decoded, and
        handing bytes between processes costs a copy, not a transcoding.
        """
        digest = raw_hash(raw)
        values: list[Any] = [row.get(n) for n in self.data_fields]
        # Only text values can hold a character COPY must escape (None's \N is already COPY's).
        texts = "".join([v for v in values if type(v) is str])
        if "\\" in texts or "\t" in texts or "\n" in texts or "\r" in texts:
            head = "\t".join([_copy_text(v) for v in values])  # the slow way, escaping
        else:
            # _copy_text inlined for the usual types: a row has tens of values, a sync millions.
            parts: list[str] = [
                v
                if (kind := type(v)) is str
                else "\\N"
                if v is None
                else (_MOMENTS.get(v) or _copy_text(v))
                if kind is date or kind is datetime
                else str(v)
                if kind is Decimal or kind is int
                else _copy_text(v)
                for v in values
            ]
            head = "\t".join(parts)
        # JSON strings hold no raw control characters, but whitespace between tokens may be a
        # newline or tab, which COPY would read as the end of a row or field.
        for plain, escaped in _COPY_RAW_ESCAPES:
            if plain in raw:
                raw = raw.replace(plain, escaped)
        return row["imis_id"], digest, b"%b\t%b\t%d" % (head.encode(), raw, digest)

    def _copy(self, cursor, target: str, rows: list[tuple[str, int, bytes]], now: datetime) -> None:
        tail = f"\t{now.isoformat()}\t\\N\n".encode()
        with cursor.cursor.copy(f'COPY "{target}" ({self.copy_columns}) FROM STDIN') as copy:
            copy.write(tail.join([line for _, _, line in rows]))  # megabytes: joined once
            copy.write(tail)

    def write(
        self,
        rows: list[tuple[str, int, bytes]] | PreparedRows,
        *,
        now: datetime,
        absent: Container[str] = (),
    ) -> tuple[int, int, int]:
        """Upsert prepared rows; returns (created, updated, unchanged).

        A later row with the same imis_id wins, since a page that shifted under us can hand the
        same record twice. ``absent``: ids the caller knows are not in the table (an initial load
        into an empty table, ids not met before in this run); they are inserted without a lookup.
        """
        if isinstance(rows, PreparedRows):
            ids = set(rows.ids)
            if isinstance(absent, set | frozenset) and len(ids) == len(rows) and ids <= absent:
                self._copy_chunks(rows.chunks, now)  # all new, none twice: as they came
                return len(rows), 0, 0
            rows = rows.rows()
        if not rows:
            return 0, 0, 0
        latest = {row[0]: row for row in rows}
        unknown = [imis_id for imis_id in latest if imis_id not in absent]
        new, changed = [], []
        if not unknown:  # an initial load: every row is new
            new = rows if len(latest) == len(rows) else list(latest.values())
        else:
            stored = self._stored(unknown)
            for imis_id, row in latest.items():
                known = stored.get(imis_id)
                if known is None:
                    new.append(row)
                elif known[0] != row[1] or known[1]:
                    changed.append(row)
        with connection.cursor() as cursor:
            if new:
                self._copy(cursor, self.table, new, now)
            if changed:
                self._ensure_stage(cursor)
                self._copy(cursor, self.stage, changed, now)
                updates = ", ".join(f'"{c}" = s."{c}"' for c in self.columns if c != "imis_id")
                cursor.execute(
                    f'UPDATE "{self.table}" t SET {updates} FROM "{self.stage}" s '
                    "WHERE t.imis_id = s.imis_id"
                )
                cursor.execute(f'TRUNCATE "{self.stage}"')
        return len(new), len(changed), len(latest) - len(new) - len(changed)

    def _copy_chunks(self, chunks: list[bytes], now: datetime) -> None:
        tail = f"\t{now.isoformat()}\t\\N\n".encode()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{self.table}" ({self.copy_columns}) FROM STDIN') as copy,
        ):
            for chunk in chunks:
                copy.write(chunk.replace(b"\n", tail))

    def _stored(self, ids: list[str]) -> dict[str, tuple[int, bool]]:
        """The stored hash and deleted flag of each id present. The ids go as one bound array
        (Django's cursor would quote each one into the SQL text, at ~10 µs an id)."""
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f'SELECT imis_id, raw_hash, deleted_at IS NOT NULL FROM "{self.table}" '
                "WHERE imis_id = ANY(%s::text[])",
                [ids],
            )
            return {imis_id: (h, deleted) for imis_id, h, deleted in cursor.fetchall()}

    def is_empty(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT NOT EXISTS (SELECT 1 FROM "{self.table}")')
            return cursor.fetchone()[0]

    def mark_missing_deleted(self, seen_ids: set[str], *, now: datetime) -> int:
        """After a complete re-read: rows iMIS no longer has are marked deleted, not removed."""
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{self.table}" SET deleted_at = %s '
                "WHERE deleted_at IS NULL AND NOT (imis_id = ANY(%s))",
                [now, list(seen_ids)],
            )
            return cursor.rowcount

    def drop_secondary_indexes_if_empty(self) -> list[str]:
        """On an empty table, drop the non-unique indexes; returns their CREATE statements.

        Call inside a transaction that also records the statements, so they are never lost.
        """
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{self.table}")')
            if cursor.fetchone()[0]:
                return []
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE %%'",
                [self.table],
            )
            secondary = cursor.fetchall()
            for name, _ in secondary:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        return [definition for _, definition in secondary]

    def create_indexes(self, definitions: list[str]) -> None:
        """Build indexes from pg_indexes definitions; safe to repeat after a crash."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in definitions:
                cursor.execute(
                    definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
                )
