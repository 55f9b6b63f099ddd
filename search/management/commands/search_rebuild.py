from django.core.management.base import BaseCommand

from search import indexing
from search.backends import get_backend


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the catalog. Elasticsearch: into a new versioned index, then "
        "the alias is switched in one step. Databases: in one transaction. Searches answer throughout."
    )

    def handle(self, *args, **options):
        backend = get_backend()
        self.stdout.write(f"Rebuilding the {backend.vendor} search index…")
        report = indexing.rebuild(backend)
        self.stdout.write(
            self.style.SUCCESS(f"Indexed {report.documents} products into {report.index} in {report.seconds:.1f} s.")
        )
