from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from graphene_django.settings import graphene_settings
from graphql import print_schema


class Command(BaseCommand):
    help = "Write the GraphQL schema to schema.graphql (a test fails when the file is stale)."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "schema.graphql"
        # The descriptions are lazy texts: in English, the API's language, not the site's default.
        with translation.override("en"):
            printed = print_schema(graphene_settings.SCHEMA.graphql_schema)
        path.write_text(printed.strip() + "\n")
        self.stdout.write(f"Wrote {path}")
