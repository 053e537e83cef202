"""Emptying the test database after a test that commits (``transactional_db``), in milliseconds.

Django empties it with one TRUNCATE of every table: PostgreSQL then makes new files for each of
~100 tables, their indexes and TOAST tables, which takes 3 to 7 seconds a test on these
machines, most of the full suite's time. Deleting the rows of the few tables a test filled
takes ~70 ms. The ledger and the audit trail refuse DELETE by trigger (they are append-only),
so the delete runs with ``session_replication_role = replica``, which only a superuser may set;
as any other role, or when sequences must be reset too, Django's TRUNCATE is used unchanged.
"""

from django.db.backends.postgresql.operations import DatabaseOperations

_stock_sql_flush = DatabaseOperations.sql_flush


def _delete_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    stock = _stock_sql_flush(
        self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )
    if reset_sequences or not tables:
        return stock
    quote = self.quote_name
    with self.connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return stock
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {quote(table)})"
                for i, table in enumerate(tables)
            )
        )
        filled = [tables[i] for (i,) in cursor.fetchall()]
    # Foreign keys are DEFERRABLE (Django's), and the replica role skips their checks anyway.
    return [
        "SET LOCAL session_replication_role = replica",
        *[f"DELETE FROM {quote(table)}" for table in filled],
        "SET LOCAL session_replication_role = origin",
    ]


def install() -> None:
    DatabaseOperations.sql_flush = _delete_flush  # type: ignore[method-assign]
