"""Timing with query counts, and the SQL floor beside each figure."""

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Figure:
    name: str
    median_ms: float
    p95_ms: float
    runs: int
    queries: int
    floor_ms: float | None = None
    main_query: str = ""
    note: str = ""

    def as_dict(self):
        return asdict(self)


def _floor(captured: list[dict]) -> tuple[float | None, str]:
    """EXPLAIN ANALYZE the slowest SELECT of the run: PostgreSQL's own execution time for it."""
    selects = [q for q in captured if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    if connection.vendor != "postgresql" or not selects:
        return None, ""
    main = max(selects, key=lambda q: float(q.get("time") or 0))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + main["sql"])
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
    return round(plan[0]["Execution Time"], 2), main["sql"][:300]


def measure(
    name: str,
    fn: Callable[[], object],
    *,
    repeat: int = 20,
    setup: Callable[[], object] | None = None,
    note: str = "",
    floor: bool = True,
) -> Figure:
    times, queries, captured = [], 0, []
    for _ in range(repeat):
        if setup is not None:
            setup()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = fn()
            elapsed = (time.perf_counter() - start) * 1000
        times.append(elapsed)
        queries, captured = len(ctx.captured_queries), list(ctx.captured_queries)
        if isinstance(result, str) and not note:
            note = result
    times.sort()
    floor_ms, main_sql = _floor(captured) if floor else (None, "")
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return Figure(name, round(statistics.median(times), 2), round(p95, 2), repeat, queries, floor_ms, main_sql, note)
