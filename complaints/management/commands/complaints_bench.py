"""Measure the sweep and the inbox on many open complaints (use a scratch database!).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_complaints_bench \\
        python manage.py complaints_bench --open 100000 --due 1000

Rows are created with bulk_create into a project of their own (code CBENCH); the sweep then runs
on what is due, and again on nothing; the inbox is fetched as that project's staff member.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.escalation import complaints_sweep, due_querysets
from complaints.models import Complaint, Escalation
from estates.models import Project, Role, User

CODE = "CBENCH"


class Command(BaseCommand):
    help = "Time the SLA sweep and count the inbox's queries over many open complaints."

    def add_arguments(self, parser):
        parser.add_argument("--open", dest="open_count", type=int, default=100_000, help="open complaints that are not due")
        parser.add_argument("--due", type=int, default=1000, help="complaints whose first response is overdue")

    def handle(self, *args, open_count, due, **options):
        if "bench" not in connection.settings_dict["NAME"]:
            raise CommandError("Run this against a scratch database whose name contains 'bench'.")
        project, _ = Project.objects.get_or_create(code=CODE, defaults={"name": "基准投诉项目", "city": "深圳"})
        now = timezone.now()
        Escalation.objects.filter(complaint__project=project).delete()
        Complaint.objects.filter(project=project).delete()
        later, past = now + timedelta(days=3), now - timedelta(hours=1)
        start = time.perf_counter()
        rows = []
        for i in range(open_count + due):
            is_due = i < due
            rows.append(
                Complaint(
                    project=project,
                    reference=f"CB-{i:07d}",
                    channel="online",
                    category="construction_quality",
                    title=f"基准投诉{i}",
                    description="d",
                    occurred_at=now,
                    status="received" if is_due else "in_progress",
                    first_response_due=past if is_due else later,
                    resolution_due=later + timedelta(days=2),
                    hot_at=later + timedelta(days=4),
                    major_at=later + timedelta(days=27),
                    complainant_key=f"anon:b{i}",
                )
            )
            if len(rows) == 5000:
                Complaint.objects.bulk_create(rows)
                rows = []
        Complaint.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE complaints_complaint")
        self.stdout.write(
            f"seeded {open_count} open + {due} due complaints in {time.perf_counter() - start:.1f}s "
            f"(table holds {Complaint.objects.count()})"
        )

        if connection.vendor == "postgresql":
            for reason, field, qs in due_querysets(now):
                sql, params = qs.order_by(field).values("pk")[:500].query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN {sql}", params)
                    plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
                self.stdout.write(f"  plan {reason}: {plan}")

        for label in ("sweep with due rows", "sweep with nothing due"):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                result = complaints_sweep(now=now)
                elapsed = time.perf_counter() - start
            self.stdout.write(
                f"{label}: {elapsed * 1000:.0f} ms, {len(ctx.captured_queries)} queries, "
                f"{result.complaints} complaints, {result.escalations} escalations, {result.batches} batches"
            )

        user, _ = User.objects.get_or_create(username="cbench_staff", defaults={"role": Role.CR_STAFF})
        user.projects.add(project)
        client = Client()
        client.force_login(user)
        for path in ("/complaints/", "/complaints/?status=in_progress&category=construction_quality", "/complaints/?overdue=yes"):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - start
            self.stdout.write(
                f"inbox {path}: HTTP {response.status_code}, {elapsed * 1000:.0f} ms, {len(ctx.captured_queries)} queries"
            )
