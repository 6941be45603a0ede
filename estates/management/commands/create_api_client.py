from django.core.management.base import BaseCommand, CommandError

from estates.models import ApiClient
from estates.services import api_client_create


class Command(BaseCommand):
    help = "Create an API client for a sales system and print only its key on stdout."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--projects", required=True, help="Comma-separated project codes (they may not exist yet).")
        parser.add_argument("--personal-data", action="store_true", help="Let this client see phone and ID numbers unmasked.")

    def handle(self, *args, name, projects, personal_data, **options):
        codes = [c.strip() for c in projects.split(",") if c.strip()]
        if not codes:
            raise CommandError("--projects needs at least one project code")
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} exists already")
        _client, key = api_client_create(name=name, project_codes=codes, sees_personal_data=personal_data)
        self.stdout.write(key)
