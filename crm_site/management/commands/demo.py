"""Load the demo: a living system for a new user. Prints the staff passwords once."""

import contextlib
import importlib
import io
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from crm_site.demo_context import DemoContext
from estates.demo import load_portfolio
from estates.models import Project


class Command(BaseCommand):
    help = "Load realistic demo data (3 projects, ~1,000 customers, staff of every role, and each app's records)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when projects exist already.")
        parser.add_argument("--customers", type=int, default=1000)

    def handle(self, *args, seed, if_empty, customers, **options):
        if Project.objects.exists():
            if if_empty:
                self.stdout.write("Demo data present already; nothing loaded.")
                return
            raise CommandError("The database has projects already; use a fresh database (or --if-empty).")
        rng = random.Random(seed)
        today = timezone.localdate()
        # The apps' demos send real invitations and notifications: keep them out of the console
        # (and the owners' phone numbers out of the terminal) — they stay visible in the app.
        quiet = io.StringIO()
        with transaction.atomic(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
                contextlib.redirect_stdout(quiet):
            projects, staff, customers_, contracts, passwords = load_portfolio(rng, today, customers)
            ctx = DemoContext(rng=rng, today=today, projects=projects, staff=staff, customers=customers_, contracts=contracts)
            summaries = [f"estates: {len(projects)} projects, {len(customers_)} customers, {len(contracts)} contracts"]
            for name in settings.TOUCHSTONE_APPS[1:]:
                try:
                    module = importlib.import_module(f"{name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{name}.demo":
                        raise
                    continue
                summaries.append(f"{name}: {module.load(ctx)}")
        for line in summaries:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write("Staff accounts (shown once; change them in the admin):")
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<14} {password}")
