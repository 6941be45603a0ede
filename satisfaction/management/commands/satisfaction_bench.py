"""Measure the daily run on many contracts: time and query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_satisfaction_bench \\
        python manage.py migrate && python manage.py satisfaction_bench --contracts 100000

Refuses to run unless the database name ends in ``_bench``: it bulk-creates projects, units,
customers and contracts whose codes start with BENCH (once), and ``--reset`` deletes every
invitation and run in that database before measuring again.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from estates.models import Building, Contract, Customer, Project, Unit
from satisfaction import rules, services
from satisfaction.models import Event, Invitation, Run

CHUNK = 5000


class Command(BaseCommand):
    help = "Bulk-create contracts due for the 3-month survey and time the daily run on them (bench databases only)."

    def add_arguments(self, parser):
        parser.add_argument("--contracts", type=int, default=100_000)
        parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE)
        parser.add_argument("--reset", action="store_true", help="delete earlier invitations and runs first (contracts are kept)")

    def handle(self, *args, contracts: int, batch_size: int, reset: bool, **options):
        name = connection.settings_dict["NAME"]
        if not str(name).endswith("_bench"):
            raise CommandError(f"refusing to write bench data into {name!r}: use a database whose name ends in _bench")
        if reset:
            self._reset()
        existing = Contract.objects.filter(external_id__startswith="BENCH-").count()
        if existing < contracts:
            started = time.perf_counter()
            self._create(existing, contracts)
            self.stdout.write(f"created {contracts - existing} contracts in {time.perf_counter() - started:.1f} s")
        self.stdout.write(f"{connection.vendor} database {name}, batch size {batch_size}")
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            # Phase by phase first (what the daily run does, in its order), then the whole run again.
            run = Run.objects.create(run_on=timezone.localdate())
            for phase in (services.invitations_plan, services.invitations_expire, services.invitations_send):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    count = phase(run=run, now=timezone.now(), batch_size=batch_size)
                    elapsed = time.perf_counter() - started
                db_time = sum(float(q["time"]) for q in queries.captured_queries)
                self.stdout.write(
                    f"{phase.__name__}: {count} rows, {elapsed:.1f} s ({db_time:.1f} s in the database), "
                    f"{len(queries.captured_queries)} queries"
                )
                slowest: dict[str, float] = {}
                for q in queries.captured_queries:
                    key = " ".join(q["sql"].split()[:4])[:70]
                    slowest[key] = slowest.get(key, 0.0) + float(q["time"])
                for key, seconds in sorted(slowest.items(), key=lambda kv: -kv[1])[:3]:
                    self.stdout.write(f"    {seconds:6.1f} s  {key}")
            run.refresh_from_db()
            self.stdout.write(f"  batches {run.batches}; created {run.created}, sent {run.sent}, skipped {run.skipped}")
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                again = services.daily_run(batch_size=batch_size)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"daily_run again the same day: {elapsed:.1f} s, {len(queries.captured_queries)} queries, "
                f"created {again.created}, sent {again.sent}"
            )
        self.stdout.write(f"invitations in the database: {Invitation.objects.count()}")

    def _reset(self):
        with transaction.atomic():
            Event.objects.all().delete()
            Invitation.objects.all().delete()
            Run.objects.all().delete()

    def _create(self, start: int, total: int):
        today = timezone.localdate()
        due_from = rules.add_months(today, -3)
        projects = [
            Project.objects.get_or_create(code=f"BENCH-{i}", defaults={"name": f"基准项目{i}", "city": "深圳"})[0]
            for i in range(10)
        ]
        buildings = [Building.objects.get_or_create(project=p, name="1")[0] for p in projects]
        for low in range(start, total, CHUNK):
            high = min(low + CHUNK, total)
            with transaction.atomic():
                units = Unit.objects.bulk_create(
                    [Unit(project=projects[i % 10], building=buildings[i % 10], number=f"B{i}") for i in range(low, high)]
                )
                customers = Customer.objects.bulk_create(
                    [
                        Customer(external_id=f"BENCH-{i}", name=f"业主{i}", phone=f"139{i:08d}", email=f"owner{i}@example.com")
                        for i in range(low, high)
                    ]
                )
                contracts = Contract.objects.bulk_create(
                    [
                        # Handovers spread over 25 days, so every contract's 3-month survey is due and open today.
                        Contract(
                            external_id=f"BENCH-{i}",
                            project=projects[i % 10],
                            unit=u,
                            signed_on=due_from - timedelta(days=400),
                            handover_on=due_from - timedelta(days=i % 25),
                        )
                        for i, u in zip(range(low, high), units, strict=True)
                    ]
                )
                Contract.customers.through.objects.bulk_create(
                    [
                        Contract.customers.through(contract_id=c.pk, customer_id=cu.pk)
                        for c, cu in zip(contracts, customers, strict=True)
                    ]
                )
