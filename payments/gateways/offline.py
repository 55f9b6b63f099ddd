from ..models import RefundStatus
from .base import Gateway, RefundOutcome


class OfflineGateway(Gateway):
    """Cash on delivery or bank transfer: nothing to open; an operator confirms the money arrived
    (`payments.services.confirm_offline_payment`) and pays refunds back by hand."""

    name = "offline"

    def start(self, payment) -> dict:
        return {}

    def refund(self, refund) -> RefundOutcome:
        return RefundOutcome(RefundStatus.SUCCEEDED)

    def cancel(self, payment) -> None:
        return None
