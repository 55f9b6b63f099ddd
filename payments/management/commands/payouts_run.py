from decimal import Decimal

from django.core.management.base import BaseCommand

from payments import payouts


class Command(BaseCommand):
    help = (
        "Pay each seller the money of parcels delivered more than PAYOUT_HOLD_DAYS ago, when it adds up to "
        "PAYOUT_MINIMUM or more. Safe to repeat: money already paid out is never paid again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be paid; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            rows = [(due.account, due.amount) for due in payouts.due_payouts()]
            verb = "Would pay"
        else:
            rows = [(payout.account, payout.amount) for payout in payouts.run()]
            verb = "Sent (pending until recorded paid)"
        for account, amount in rows:
            self.stdout.write(f"{verb} {amount} CNY to {account.code} ({account})")
        total = sum((amount for _account, amount in rows), Decimal("0"))
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(rows)} sellers, {total} CNY in all."))
