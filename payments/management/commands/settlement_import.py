from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payments import settlement


class Command(BaseCommand):
    help = (
        "Import a bill downloaded from WeChat Pay (交易账单, the CSV, plain or gzipped) or Alipay (账单, the zip "
        "or its 业务明细 CSV): book each payment's and refund's provider fee once, and list the rows that do not "
        "match our records. Safe to repeat: a fee already booked is never booked again."
    )

    def add_arguments(self, parser):
        parser.add_argument("provider", choices=sorted(settlement.PROVIDERS), help="Whose bill it is.")
        parser.add_argument("file", type=Path, help="The bill file.")

    def handle(self, *args, provider, file, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            result = settlement.import_bill(provider, data)
        except settlement.BillError as error:
            raise CommandError(f"{file}: {error} Nothing was booked.") from error
        for outcome in result.outcomes:
            line = f"line {outcome.row.line} {outcome.row.merchant_reference}: {outcome.describe()}"
            self.stdout.write(line if outcome.settled else self.style.WARNING(line))
        style = self.style.SUCCESS if not result.problems else self.style.WARNING
        self.stdout.write(style(result.summary()))
