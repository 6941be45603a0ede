"""``manage.py complaint_rollups``: fold the changed days into the dashboards' daily counts and
compact the open-complaint tally, or ``--rebuild`` both from the rows (set-based, one INSERT …
SELECT each; see complaints/rollups.py and complaints/open_tally.py)."""

import time

from django.core.management.base import BaseCommand

from complaints import open_tally
from complaints.rollups import rollups_rebuild, rollups_refresh


class Command(BaseCommand):
    help = "Refresh (or --rebuild) the daily complaint counts and the open-complaint tally behind the dashboards."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recount every day from the rows")

    def handle(self, *args, rebuild, **options):
        started = time.perf_counter()
        result = rollups_rebuild() if rebuild else rollups_refresh()
        tally = open_tally.rebuild() if rebuild else open_tally.compact()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{'rebuild' if rebuild else 'refresh'}: {result}, open tally {tally} in {elapsed:.1f} s")
