"""New rows in bulk: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere (STYLE §6.2).

A batch of the ingest writes a thousand cases, their first events, their clocks and their
ingest records. ``bulk_create`` spends most of that time in Python: every value of every
row goes through ``get_db_prep_save`` and is then quoted into the SQL text by the driver.
``COPY … FROM STDIN`` streams the rows instead, each value adapted by psycopg's C dumpers,
and PostgreSQL reads them without parsing a statement a megabyte long.

``rows_insert`` keeps the contract of ``bulk_create`` that the callers rely on: the
fields' ``pre_save`` runs (``auto_now_add`` stamps), every object gets its primary key
(drawn from the table's sequence first, as ``bulk_create`` would return it) and counts as
saved. No signals are sent, as with ``bulk_create``. A few rows go in by ``bulk_create``:
for them an INSERT costs no more than the extra round trips of a COPY.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

from django.db import connections, models, router

__all__ = ["COPY_FROM_ROWS", "rows_insert"]

#: from this many rows on, PostgreSQL gets them by COPY
COPY_FROM_ROWS = 50
#: values that psycopg adapts as they are, and that ``get_db_prep_save`` would return
#: unchanged on PostgreSQL (a JSON field's value is encoded whatever its type)
_AS_IS = frozenset((str, int, float, bool, Decimal, datetime, date, type(None)))


def rows_insert(model: type[models.Model], objs: list, *, batch_size: int = 500) -> list:
    """Insert the new ``objs`` of ``model``; they come back saved, with their keys."""
    objs = list(objs)
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM_ROWS:
        return model.objects.using(alias).bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        unnumbered = [obj for obj in objs if obj.pk is None]
        if unnumbered:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(unnumbered)],
            )
            for obj, (pk,) in zip(unnumbered, cursor.fetchall(), strict=True):
                obj.pk = pk
        columns = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        # The values are read as they are (C speed: fifteen fields of a thousand rows);
        # the stamps' pre_save, the JSON fields and values of any other type are
        # prepared as bulk_create prepares them.
        read = attrgetter(*(f.attname for f in fields))
        prepared = [
            i for i, f in enumerate(fields) if _stamps(f) or isinstance(f, models.JSONField)
        ]
        plain = [i for i in range(len(fields)) if i not in prepared]
        # Django's exceptions (IntegrityError of a racing writer…), as from an INSERT.
        with connection.wrap_database_errors, cursor.copy(sql) as copy:
            for obj in objs:
                row = list(read(obj)) if len(fields) > 1 else [read(obj)]
                for i in prepared:
                    field = fields[i]
                    row[i] = field.get_db_prep_save(field.pre_save(obj, add=True), connection)
                for i in plain:
                    value = row[i]
                    if type(value) not in _AS_IS or _naive(value):
                        row[i] = fields[i].get_db_prep_save(value, connection)
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def _stamps(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _naive(value) -> bool:
    return type(value) is datetime and value.tzinfo is None  # Django makes it aware, warning
