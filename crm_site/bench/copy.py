"""Fast loading: PostgreSQL COPY, or chunked executemany elsewhere."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.db import connection


def _pg_value(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, chunk: int = 50_000) -> int:
    """Insert ``rows`` into ``table``; returns the number of rows written."""
    total = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buf, n = io.StringIO(), 0
            writer = csv.writer(buf, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")

            def flush():
                buf.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buf)
                buf.seek(0)
                buf.truncate()

            for row in rows:
                writer.writerow([_pg_value(v) for v in row])
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
