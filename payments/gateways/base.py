from dataclasses import dataclass


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; safe to retry later."""


@dataclass(frozen=True)
class RefundOutcome:
    status: str  # a RefundStatus value
    remote_id: str | None = None


class Gateway:
    """What the payment services need of a gateway. Calls are made outside database transactions
    and are idempotent: each carries a key derived from our own records."""

    name: str

    def start(self, payment) -> dict:
        """Open the payment with the gateway; return the Payment fields to store."""
        raise NotImplementedError

    def refund(self, refund) -> RefundOutcome:
        raise NotImplementedError

    def cancel(self, payment) -> None:
        raise NotImplementedError
