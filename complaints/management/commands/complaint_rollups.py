"""``manage.py complaint_rollups``: fold the changed days into the dashboards' daily counts, or
``--rebuild`` them all from the rows (set-based, one INSERT … SELECT; see complaints/rollups.py)."""

import time

from django.core.management.base import BaseCommand

from complaints.rollups import rollups_rebuild, rollups_refresh


class Command(BaseCommand):
    help = "Refresh (or --rebuild) the daily complaint counts behind the dashboards."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recount every day from the rows")

    def handle(self, *args, rebuild, **options):
        started = time.perf_counter()
        result = rollups_rebuild() if rebuild else rollups_refresh()
        self.stdout.write(f"{'rebuild' if rebuild else 'refresh'}: {result} in {time.perf_counter() - started:.1f} s")
