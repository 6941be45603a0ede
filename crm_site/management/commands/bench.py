"""``manage.py bench``: seed a realistic dataset if it is not there yet, then measure.

    python manage.py bench --complaints 1000000 --json bench-1m.json

Figures are medians over repeated runs, each with its SQL query count and, on PostgreSQL, the
floor: the database's own execution time for the run's slowest SELECT (EXPLAIN ANALYZE).
"""

import json
import random
import time

from django.core.management.base import BaseCommand

from crm_site.bench import scenarios
from crm_site.bench.seed import seed_portfolio


class Command(BaseCommand):
    help = "Seed a realistic dataset (if absent) and measure the figures of docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=100_000)
        parser.add_argument("--contracts-per-project", type=int, default=5_000)
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--json", dest="json_path")
        parser.add_argument("--only", help="Comma-separated figure names to measure.")
        parser.add_argument("--seed-only", action="store_true")

    def handle(self, *args, complaints, contracts_per_project, repeat, json_path, only, seed_only, **options):
        rng = random.Random(7)
        started = time.perf_counter()
        portfolio = seed_portfolio(projects=20, contracts_per_project=contracts_per_project, rng=rng)
        seeded = scenarios.seed_apps(complaints=complaints, rng=rng)
        seed_s = time.perf_counter() - started
        self.stdout.write(f"dataset: {json.dumps({**portfolio, **seeded}, ensure_ascii=False)} (seeding took {seed_s:.1f} s)")
        if seed_only:
            return
        wanted = set(only.split(",")) if only else None
        figures = []
        for name, run in scenarios.SCENARIOS.items():
            if wanted and name not in wanted:
                continue
            figure = run(repeat=repeat)
            if figure is None:
                self.stdout.write(f"{name:<20} (not available)")
                continue
            figures.append(figure)
            floor = f"{figure.floor_ms:>8.2f} ms" if figure.floor_ms is not None else "       —   "
            self.stdout.write(f"{name:<20} {figure.median_ms:>9.2f} ms  p95 {figure.p95_ms:>9.2f} ms  {figure.queries:>4} queries  floor {floor}  {figure.note}")
        if json_path:
            with open(json_path, "w") as fh:
                json.dump({"dataset": {**portfolio, **seeded, "seed_seconds": round(seed_s, 1)},
                           "figures": [f.as_dict() for f in figures]}, fh, ensure_ascii=False, indent=2)
