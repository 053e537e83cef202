"""Tables in bulk into pandas for the models: one COPY per table, parsed into typed columns,
several read side by side on their own connections. Dates become whole days since 1970-01-01
(compared as integers, never timestamps)."""

import io
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import date

import pandas as pd
import psycopg
from django.conf import settings
from django.db import connection
from psycopg import sql

EPOCH = date(1970, 1, 1)
READ_THREADS = 3


def day_number(value: date) -> int:
    """Whole days since 1970-01-01, the unit every frame uses."""
    return (value - EPOCH).days


def day_date(number: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(number))


def local_day(column: str) -> sql.Composable:
    """The day of a timestamp in the iMIS site's time zone. The cast uses the session's time
    zone, which ``copy_frame`` sets to the site's for the read: ``AT TIME ZONE 'name'`` looks
    the zone up again for every value, five times the cost over millions of activity rows."""
    return sql.SQL("({}::date - DATE '1970-01-01')").format(sql.Identifier(column))


def day(column: str) -> sql.Composable:
    return sql.SQL("({} - DATE '1970-01-01')").format(sql.Identifier(column))


def copy_frame(query: sql.Composable, columns: dict[str, str]) -> pd.DataFrame:
    """Run one COPY (query) TO STDOUT and parse the CSV into typed columns."""
    connection.ensure_connection()
    buffer = io.BytesIO()
    with connection.connection.cursor() as cursor:
        statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)
        with _site_time_zone(cursor), cursor.copy(statement) as copy:
            for chunk in copy:
                buffer.write(chunk)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({name: pd.Series(dtype=_EMPTY[kind]) for name, kind in columns.items()})
    frame = pd.read_csv(
        buffer,
        header=None,
        names=list(columns),
        dtype={k: _READ[v] for k, v in columns.items()},
        keep_default_na=False,
        na_values={k: [""] for k, v in columns.items() if v != "str"},
    )
    for name, kind in columns.items():
        if kind == "bool":
            frame[name] = frame[name].map({"t": True, "f": False}).astype("boolean")
    return frame


@contextmanager
def _site_time_zone(cursor):
    """The session's time zone is the iMIS site's while the read runs (``local_day``), and what
    it was afterwards: Django's own queries on this connection expect theirs."""
    before = cursor.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    cursor.execute("SELECT set_config('TimeZone', %s, false)", [settings.IMIS_TIME_ZONE])
    try:
        yield
    finally:
        # A read that failed inside a transaction leaves it aborted: its rollback restores it.
        with suppress(psycopg.errors.InFailedSqlTransaction):
            cursor.execute("SELECT set_config('TimeZone', %s, false)", [before])


_READ = {"str": str, "day": "float64", "num": "float64", "bool": str, "int": "int64"}
_EMPTY = {"str": object, "day": "float64", "num": "float64", "bool": "boolean", "int": "int64"}


def table(model) -> sql.Identifier:
    """A mirror table by its model, never by a name written here: imis_client owns the names."""
    return sql.Identifier(model._meta.db_table)


def _read_in_thread(query, columns) -> pd.DataFrame:
    try:
        return copy_frame(query, columns)
    finally:
        connection.close()  # this thread's own connection


def read_all(queries: dict) -> dict[str, pd.DataFrame]:
    """Run the reads side by side on their own connections (the database works on one core
    per read), or one after another inside a transaction, whose rows other connections do not
    see yet."""
    if connection.in_atomic_block:
        return {name: copy_frame(query, columns) for name, (query, columns) in queries.items()}
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        futures = {
            name: pool.submit(_read_in_thread, query, columns)
            for name, (query, columns) in queries.items()
        }
        return {name: future.result() for name, future in futures.items()}
