"""Fast loading: PostgreSQL COPY, or chunked executemany elsewhere."""

import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection


def _pg_value(value) -> str:
    """One field in COPY's text format: \\N for NULL, backslash escapes for the separators."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, chunk: int = 50_000) -> int:
    """Insert ``rows`` into ``table``; returns the number of rows written."""
    total = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buf, n = io.StringIO(), 0

            def flush():
                buf.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buf)
                buf.seek(0)
                buf.truncate()

            for row in rows:
                buf.write("\t".join(_pg_value(v) for v in row) + "\n")
                n += 1
                total += 1
                if n >= chunk:
                    flush()
                    n = 0
            if n:
                flush()
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 - our table names
            batch = []
            for row in rows:
                batch.append(tuple(row))
                if len(batch) >= chunk:
                    cursor.executemany(sql, batch)
                    total += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                total += len(batch)
    return total


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - table names are ours
        return cursor.fetchone()[0]


def reset_sequence(table: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}")  # noqa: S608


def copy_model(model, rows, *, chunk: int = 50_000) -> int:
    """COPY dicts keyed by attname into ``model``'s table; unspecified fields take their defaults.

    Driven by the model's own field list, so a field added later with a default needs no change here.
    """
    import json
    from decimal import Decimal

    fields = list(model._meta.concrete_fields)
    columns = [f.column for f in fields]
    defaults = {}
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_default()
        elif f.null:
            defaults[f.attname] = None
        elif f.get_internal_type() in ("CharField", "TextField", "SlugField"):
            defaults[f.attname] = ""
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}

    def gen():
        for row in rows:
            values = []
            for f in fields:
                value = row.get(f.attname, defaults.get(f.attname))
                if f.attname in json_fields and value is not None:
                    value = json.dumps(value, ensure_ascii=False)
                elif isinstance(value, Decimal):
                    value = str(value)
                elif isinstance(value, datetime) and connection.vendor != "postgresql":
                    value = connection.ops.adapt_datetimefield_value(value)  # naive UTC text, as the ORM writes it
                elif hasattr(value, "isoformat"):
                    value = value.isoformat()
                values.append(value)
            yield values

    return copy_rows(model._meta.db_table, columns, gen(), chunk=chunk)


class indexes_deferred:
    """Drop a table's secondary indexes for a bulk load and rebuild them after (PostgreSQL):
    building an index once over a million rows is several times faster than maintaining it per row."""

    def __init__(self, *tables: str):
        self.tables = tables
        self.definitions: list[str] = []

    def __enter__(self):
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.tablename = ANY(%s) AND i.indexname NOT IN (
                       SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))""",
                [list(self.tables)],
            )
            rows = cursor.fetchall()
            for name, definition in rows:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
                self.definitions.append(definition)
        return self

    def __exit__(self, *exc):
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred FK checks block CREATE INDEX
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for definition in self.definitions:
                cursor.execute(definition)
        return False
