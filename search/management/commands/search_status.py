from django.core.management.base import BaseCommand

from search import fallback, indexing
from search.backends import backends


class Command(BaseCommand):
    help = (
        "The search backends and whether each answers now; for the engine, how often it was found down, "
        "when last and why, and how many searches the database fallback answered; what each backend has "
        "yet to catch up on."
    )

    def handle(self, *args, **options):
        pending = indexing.pending_counts()
        self.stdout.write("Search backends:")
        for backend in backends.all():
            answers, reason = fallback.reachable(backend)
            said = self.style.SUCCESS("answers") if answers else self.style.ERROR(f"DOWN: {reason}")
            waiting = pending.get(backend.name, 0)
            self.stdout.write(f"  {backend.name}: {backend.vendor}, {said}; pending sync: {waiting} products")
        if fallback.FALLBACK not in backends:
            self.stdout.write("No fallback: the default backend is the database itself.")
            return
        health = fallback.health()
        self.stdout.write(f"Engine {health.name!r} ({health.vendor}):")
        breaker = "open: searches go to the fallback without asking it" if health.skipped else "closed"
        self.stdout.write(f"  breaker: {breaker}")
        self.stdout.write(f"  found down: {health.failures} times")
        if health.last_down_at:
            self.stdout.write(f"  last found down: {health.last_down_at:%Y-%m-%d %H:%M:%S} UTC ({health.last_reason})")
        self.stdout.write(f"  searches the fallback answered: {health.fallbacks}")
