from dataclasses import dataclass


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; safe to retry later."""


@dataclass(frozen=True)
class PaymentStep:
    """What the shopper does to pay, as the order page shows it. `kind` picks the page's part:
    "card" (a card form confirmed in the browser with Stripe.js), "instructions" (what to do and the
    reference to quote), and for gateways to come "qr" (a code to scan) or "redirect" (a button to the
    provider's page). `data` holds what that part needs."""

    kind: str
    data: dict


@dataclass(frozen=True)
class RefundOutcome:
    status: str  # a RefundStatus value
    remote_id: str | None = None


class Gateway:
    """What the payment services need of a gateway. Calls are made outside database transactions
    and are idempotent: each carries a key derived from our own records.

    A gateway is registered by name in the PAYMENT_GATEWAYS setting (`core.registry`); the name is
    what orders and payments store, so it must never change once used."""

    label = ""  # what a shopper or operator reads, translated
    # Confirmed by an operator who saw the money (a bank transfer, cash handed to the courier).
    confirmed_by_hand = False
    # Parcels may leave before the money arrives: the courier collects it on delivery.
    ships_before_payment = False

    def __init__(self, name: str, **options):
        self.name = name
        self.options = options

    def is_configured(self) -> bool:
        """Whether shoppers may choose it now (its keys are set)."""
        return True

    def is_started(self, payment) -> bool:
        """Whether the payment is already open at the gateway (so `start` is not called again)."""
        return True

    def start(self, payment) -> dict:
        """Open the payment with the gateway; return the Payment fields to store."""
        return {}

    def shopper_step(self, payment) -> PaymentStep | None:
        """What the shopper must do now to pay an open payment; None when nothing is asked of them."""
        return None

    def refund(self, refund) -> RefundOutcome:
        raise NotImplementedError

    def cancel(self, payment) -> None:
        raise NotImplementedError
