from dataclasses import dataclass
from decimal import Decimal


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; safe to retry later."""


class GatewayUnsure(GatewayError):
    """The request may have been done at the provider, its answer lost (a timeout, a dropped
    connection, a 5xx): what happened is known only by asking again with the same merchant
    reference, which the provider never does twice. A refund in this state stays pending."""


@dataclass(frozen=True)
class PaymentStep:
    """What the shopper does to pay, as the order page shows it. `kind` picks the page's part:
    "card" (a card form confirmed in the browser with Stripe.js), "instructions" (what to do and the
    reference to quote), and for gateways to come "qr" (a code to scan) or "redirect" (a button to the
    provider's page). `data` holds what that part needs."""

    kind: str
    data: dict


@dataclass(frozen=True)
class Device:
    """Where the shopper is paying from, as far as a gateway needs it to pick its channel: WeChat
    Pay pays by QR code on a computer ("native"), in a phone's browser ("h5") and inside WeChat
    ("jsapi", which needs the shopper's openid); Alipay by its page on a computer or a phone."""

    user_agent: str = ""
    client_ip: str = ""
    # The shopper's WeChat openid for our official account, once WeChat told us (JSAPI needs it).
    openid: str = ""
    # Where the provider sends the shopper back after paying (the order page).
    return_url: str = ""

    @property
    def in_wechat(self) -> bool:
        return "MicroMessenger" in self.user_agent

    @property
    def on_phone(self) -> bool:
        return any(mark in self.user_agent for mark in ("Mobile", "Android", "iPhone", "iPad"))


@dataclass(frozen=True)
class RemoteState:
    """What the provider says of a payment when asked (its notify never came): "paid" (with the
    amount, currency and the provider's number), "pending" (the shopper has not paid yet),
    "closed" (it can no longer be paid)."""

    status: str
    amount: Decimal | None = None
    currency: str = ""
    provider_reference: str = ""
    fee: Decimal | None = None


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

    def channel(self, device: Device) -> str:
        """The way this shopper pays on this device ("native", "h5", "jsapi", "page", "wap"); ""
        for gateways that pay one way everywhere."""
        return ""

    def open(self, payment, device: Device) -> dict:
        """Open the payment at the provider for the device's channel, and return what the shopper's
        page needs (stored in `payment.shopper_data[channel]`, so each channel is opened once).
        Called outside transactions; safe to repeat (the provider keys it by merchant_reference)."""
        return {}

    def shopper_step(self, payment, device: Device | None = None) -> PaymentStep | None:
        """What the shopper must do now to pay an open payment; None when nothing is asked of them."""
        return None

    def query(self, payment) -> RemoteState | None:
        """Ask the provider how the payment stands, for a notify that never came. None: this
        gateway is not asked (Stripe retries its webhooks for days; offline has no provider)."""
        return None

    def query_refund(self, refund) -> RefundOutcome | None:
        """Ask the provider how a pending refund stands; None when this gateway is not asked."""
        return None

    def refund(self, refund) -> RefundOutcome:
        raise NotImplementedError

    def cancel(self, payment) -> None:
        """Close the open payment at the provider, so it can no longer be paid."""
        raise NotImplementedError
