from django.utils.translation import gettext_lazy as _

from .base import PayoutMethod


class BankTransfer(PayoutMethod):
    """A transfer the cooperative or NGO makes from the platform's bank account: nothing is sent
    from here. An operator records the bank's reference (or uploads the bank's CSV of them,
    `payments.payout_bank_csv`), or that it failed. The money leaves the offline cash account,
    where shoppers' bank transfers arrive (decision 108)."""

    label = _("Bank transfer")
    cash_gateway = "offline"

    def destination_text(self, destination) -> str:
        return destination.bank_account_shown if destination is not None else ""
