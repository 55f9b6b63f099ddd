from django.core.management.base import BaseCommand, CommandError

from search import indexing
from search.backends import backends


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the catalog, in every configured backend (the engine and its "
        "database fallback), each on its own. Elasticsearch/OpenSearch: into a new versioned index, then "
        "the alias is switched in one step. Databases: in one transaction. Searches answer throughout."
    )

    def handle(self, *args, **options):
        names = ", ".join(f"{backend.name} ({backend.vendor})" for backend in backends.all())
        self.stdout.write(f"Rebuilding the search indices of {names}…")
        failed = []
        for name, report in indexing.rebuild_each().items():
            if isinstance(report, Exception):
                failed.append(name)
                self.stderr.write(self.style.ERROR(f"{name}: not rebuilt: {report}"))
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{name}: indexed {report.documents} products into {report.index} in {report.seconds:.1f} s."
                    )
                )
        if failed:
            raise CommandError(f"Not rebuilt: {', '.join(failed)}; run the command again once it answers.")
