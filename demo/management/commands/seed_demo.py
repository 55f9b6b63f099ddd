"""`manage.py seed_demo`: a demo database to click through, or a large catalogue to benchmark.

The work is in `demo.seed`; this command parses options, guards against seeding twice and reports.
"""

import logging
import time
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError

from core.operators import OPERATORS_GROUP
from demo import seed as demo_seed
from demo import year as demo_year
from search import indexing


class Command(BaseCommand):
    help = (
        "Fill the database with demo data: real former poverty counties and villages, farmers in every "
        "verification state, cooperatives, NGOs and a catalogue with photos. Creates the user admin/admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--products",
            type=int,
            default=demo_seed.DEFAULT_PRODUCTS,
            help=f"How many products (default {demo_seed.DEFAULT_PRODUCTS}). Above {demo_seed.BULK_THRESHOLD} they are "
            "bulk-inserted with shared photos, for benchmarks.",
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=demo_year.ORDERS,
            help=f"Orders over the past year, paid, delivered, some refunded, and the payouts of each month "
            f"(default {demo_year.ORDERS}; 0 for none).",
        )
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first, then seed again.")

    def handle(self, *args, seed, products, orders, reset, verbosity, **options):
        if products < 1:
            raise CommandError("--products must be at least 1.")
        if orders < 0:
            raise CommandError("--orders must be 0 or more.")
        if demo_seed.is_seeded() and not reset:
            demo_seed.ensure_demo_operator()
            if orders and not demo_year.has_year():
                # A demo seeded before it had a year of orders gets its year, once.
                started = time.monotonic()
                with _quiet_tasks(verbosity < 2), transaction.atomic():
                    demo_seed.seed_year(seed, orders)
                self.stdout.write(self.style.SUCCESS(f"Added a year of orders in {time.monotonic() - started:.1f} s."))
                self._report_year()
                return
            self.stdout.write("Demo data is already seeded; nothing to do. Use --reset to delete it and seed again.")
            return
        started = time.monotonic()
        try:
            with _quiet_tasks(verbosity < 2), transaction.atomic():
                if reset:
                    removed = demo_seed.delete_demo_data()
                    self.stdout.write(
                        f"Deleted the demo data: {removed['products']} products, {removed['farmers']} farmers."
                    )
                result = demo_seed.seed_demo(seed=seed, products=products, orders=orders)
        except ProtectedError as exc:
            raise CommandError(f"Cannot delete the demo data, other records still refer to it: {exc}") from exc
        # Bulk-inserted goods sent no signals: index the whole catalogue once it is committed.
        indexed = indexing.rebuild()
        self._report(result, seed, time.monotonic() - started)
        self.stdout.write(f"  {indexed.documents} products in the search index ({indexed.index})")

    def _report(self, result, seed, seconds):
        counts = demo_seed.demo_counts()
        path = "bulk inserts, shared photos" if result.bulk else "the shop services and the photo pipeline"
        self.stdout.write(self.style.SUCCESS(f"Seeded the demo (seed {seed}) through {path} in {seconds:.1f} s."))
        self.stdout.write(
            "  {provinces} provinces, {counties} counties, {villages} villages, {ngos} NGOs, "
            "{cooperatives} cooperatives, {farmers} farmers".format(**counts)
        )
        self.stdout.write(
            "  {products} products ({published} published), {variants} variants, {photos_ready} photos ready".format(
                **counts
            )
        )
        self.stdout.write(
            "  {sponsors} sponsors, {campaigns} campaigns, {stories} stories (the feed: /feed/)".format(**counts)
        )
        if result.year is not None:
            self._report_year()
        if counts["photos_waiting"]:
            self.stdout.write(
                f"  {counts['photos_waiting']} photos are queued for the Celery worker; they appear once processed."
            )
        if result.admin_created:
            self.stdout.write(
                self.style.WARNING(
                    f"Log in to /admin/ as {demo_seed.ADMIN_USERNAME} / {demo_seed.ADMIN_PASSWORD} "
                    "(demo only: never on a server others can reach)."
                )
            )
        else:
            self.stdout.write(f"User {demo_seed.ADMIN_USERNAME} already existed; its password was not changed.")
        farmers = ", ".join(result.farmer_usernames)
        self.stdout.write(
            f"Demo users, password {demo_seed.DEMO_PASSWORD!r}: "
            f"{demo_seed.OPERATOR_USERNAME} (staff, in the operators' group {OPERATORS_GROUP}), "
            f"demo-ngo-1..3 (NGO staff), demo-coop-1..{len(demo_seed.data.COOPERATIVES)} (cooperative managers), "
            "demo-sponsor-1 (a sponsor's staff), "
            f"{demo_seed.SHOPPER_USERNAME} (a shopper), "
            f"farmers such as {farmers}."
        )
        self._report_logins()

    def _report_year(self):
        counts = demo_year.year_counts()
        self.stdout.write(
            "  a year of orders: {orders} orders ({paid} paid, {cancelled} cancelled unpaid), {refunds} refunds, "
            "{clicked} credited to a campaign click, {shared} to a shared link; payouts: {payouts_paid} paid, "
            "{payouts_failed} failed, {payouts_pending} on their way".format(**counts)
        )

    def _report_logins(self):
        """One login per role, each with history to show (demo.seed.demo_logins)."""
        self.stdout.write(f"Try these (password {demo_seed.DEMO_PASSWORD!r}, log in at /accounts/login/):")
        for role, username, what in demo_seed.demo_logins():
            self.stdout.write(f"  {role:<22} {username:<32} {what}")


@contextmanager
def _quiet_tasks(quiet: bool):
    """Eager Celery logs a line per photo task; hundreds of them would bury the summary."""
    logger = logging.getLogger("celery.app.trace")
    level = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
