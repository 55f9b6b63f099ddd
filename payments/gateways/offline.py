from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import RefundStatus
from .base import Gateway, PaymentStep, RefundOutcome


class OfflineGateway(Gateway):
    """Cash on delivery or bank transfer: nothing to open; an operator confirms the money arrived
    (`payments.shopper_payments.confirm_offline_payment`) and pays refunds back by hand."""

    label = _("Cash on delivery or bank transfer")
    confirmed_by_hand = True
    ships_before_payment = True

    def shopper_step(self, payment, device=None) -> PaymentStep:
        """Pay the courier, or transfer to the operator's account quoting the order number, by
        which the operator finds the order when confirming (`confirm_offline_payment`)."""
        return PaymentStep(
            "instructions",
            {"bank_account": settings.OFFLINE_BANK_ACCOUNT, "reference": payment.order.number},
        )

    def refund(self, refund) -> RefundOutcome:
        return RefundOutcome(RefundStatus.SUCCEEDED)

    def cancel(self, payment) -> None:
        return None
