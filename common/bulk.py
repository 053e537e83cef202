"""Writing many rows' changed fields in one statement (PostgreSQL).

Django's ``bulk_update`` builds a CASE per field and row, which costs more in Python than the
update itself at a few hundred rows; ``rows_update`` sends each field's values as one array and
joins them to the rows by primary key (``UPDATE .. FROM unnest(..)``). Like ``bulk_update``, it
calls no ``save()`` and sends no signals; like ``save()``, it sets the ``auto_now`` fields.
"""

from django.db import connection
from django.utils import timezone


def rows_update(objs: list, fields: list[str]) -> int:
    """Write ``fields`` of ``objs`` (model instances of one model, already saved) and their
    ``auto_now`` fields; returns the number of rows updated."""
    if not objs:
        return 0
    meta = type(objs[0])._meta
    pk = meta.pk
    stamped = [f.name for f in meta.concrete_fields if getattr(f, "auto_now", False)]
    if stamped:
        now = timezone.now()
        for obj in objs:
            for name in stamped:
                setattr(obj, name, now)
        fields = [*fields, *(name for name in stamped if name not in fields)]
    columns = [meta.get_field(name) for name in fields]
    params = [[pk.get_db_prep_value(obj.pk, connection) for obj in objs]]
    casts = [f"%s::{pk.db_type(connection)}[]"]
    for field in columns:
        params.append(
            [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs]
        )
        casts.append(f"%s::{field.db_type(connection)}[]")
    quote = connection.ops.quote_name
    names = [quote(field.column) for field in columns]
    sets = ", ".join(f"{name} = v.{name}" for name in names)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {sets} "  # noqa: S608 (names from the model)
        f"FROM unnest({', '.join(casts)}) AS v({quote(pk.column)}, {', '.join(names)}) "
        f"WHERE {quote(meta.db_table)}.{quote(pk.column)} = v.{quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
