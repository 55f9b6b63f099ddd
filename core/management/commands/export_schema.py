from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from graphene_django.settings import graphene_settings
from graphql import print_schema


class Command(BaseCommand):
    help = "Write the GraphQL schema to schema.graphql (a test fails when the file is stale)."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "schema.graphql"
        path.write_text(print_schema(graphene_settings.SCHEMA.graphql_schema).strip() + "\n")
        self.stdout.write(f"Wrote {path}")
