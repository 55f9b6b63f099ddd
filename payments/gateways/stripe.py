"""Stripe PaymentIntents, refunds and webhook signatures, through the official `stripe` library.

Only parameters that both Stripe and the localstripe test server accept are sent; amounts are in
fen (Stripe's smallest unit of CNY)."""

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.money import to_fen

from ..models import RefundStatus
from .base import Gateway, GatewayError, PaymentStep, RefundOutcome

REFUND_STATUSES = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def client() -> stripe.StripeClient:
    options = {"max_network_retries": settings.STRIPE_MAX_NETWORK_RETRIES}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def verify_signature(payload: bytes, header: str) -> None:
    """Check the Stripe-Signature header with the official library: an HMAC-SHA256 of the body
    with our endpoint secret, made at most STRIPE_WEBHOOK_TOLERANCE seconds ago. Raises
    `stripe.SignatureVerificationError`, or `UnicodeDecodeError` for a body that is not UTF-8.

    Only the signature is checked here, not the body's shape: the caller parses and validates the
    JSON itself, so a signed body that is not an event is refused rather than crashing the parser."""
    stripe.WebhookSignature.verify_header(
        payload, header, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
    )


def refund_idempotency_key(refund) -> str:
    """Our refund's row, qualified by the PaymentIntent: Stripe keeps keys per account for a day,
    and refund numbers alone repeat across databases (staging, a restored backup) that share one
    Stripe account, where a reused key would be refused or answered with another refund."""
    return f"shanhuo-refund-{refund.payment.stripe_payment_intent}-{refund.pk}"


class StripeGateway(Gateway):
    label = _("Card (Stripe)")

    def is_configured(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY)

    def is_started(self, payment) -> bool:
        return bool(payment.stripe_payment_intent)

    def start(self, payment) -> dict:
        params = {
            "amount": to_fen(payment.amount),
            "currency": payment.currency.lower(),
            # The checkout's UUID is unique across every database sharing this Stripe account, so a
            # webhook that beats our write of the intent's id is matched to the right payment.
            "metadata": {
                "order": payment.order.number,
                "payment": str(payment.pk),
                "checkout": str(payment.order.checkout_id),
            },
        }
        try:
            intent = client().v1.payment_intents.create(params, {"idempotency_key": payment.idempotency_key})
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return {"stripe_payment_intent": intent.id, "client_secret": intent.client_secret}

    def shopper_step(self, payment, device=None) -> PaymentStep | None:
        if not payment.client_secret:
            return None
        return PaymentStep(
            "card",
            {
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "client_secret": payment.client_secret,
                "js_url": settings.STRIPE_JS_URL,
            },
        )

    def refund(self, refund) -> RefundOutcome:
        params = {
            "payment_intent": refund.payment.stripe_payment_intent,
            "amount": to_fen(refund.amount),
            "metadata": {"refund": str(refund.pk)},
        }
        try:
            created = client().v1.refunds.create(params, {"idempotency_key": refund_idempotency_key(refund)})
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return RefundOutcome(REFUND_STATUSES.get(created.status, RefundStatus.PENDING), created.id)

    def cancel(self, payment) -> None:
        if not payment.stripe_payment_intent:
            return
        try:
            client().v1.payment_intents.cancel(payment.stripe_payment_intent)
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
