from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments and ledger")
    # What operators change beyond viewing (core.operators): payments (confirming offline money, refunds).
    operator_permissions = ("change_payment", "change_payout", "add_payoutdestination", "change_payoutdestination")
