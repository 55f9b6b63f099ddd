"""Stripe PaymentIntents, refunds and webhook signatures, through the official `stripe` library.

Only parameters that both Stripe and the localstripe test server accept are sent; amounts are in
fen (Stripe's smallest unit of CNY)."""

import stripe
from django.conf import settings

from core.money import to_fen

from ..models import RefundStatus
from .base import Gateway, GatewayError, RefundOutcome

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


def construct_event(payload: bytes, signature: str) -> stripe.Event:
    """Verify the Stripe-Signature (HMAC-SHA256 with the endpoint secret, at most
    STRIPE_WEBHOOK_TOLERANCE seconds old) and parse the event; raises SignatureVerificationError."""
    return client().construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
    )


class StripeGateway(Gateway):
    name = "stripe"

    def start(self, payment) -> dict:
        params = {
            "amount": to_fen(payment.amount),
            "currency": payment.currency.lower(),
            "metadata": {"order": payment.order.number, "payment": str(payment.pk)},
        }
        try:
            intent = client().v1.payment_intents.create(params, {"idempotency_key": payment.idempotency_key})
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return {"stripe_payment_intent": intent.id, "client_secret": intent.client_secret}

    def refund(self, refund) -> RefundOutcome:
        params = {
            "payment_intent": refund.payment.stripe_payment_intent,
            "amount": to_fen(refund.amount),
            "metadata": {"refund": str(refund.pk)},
        }
        try:
            created = client().v1.refunds.create(params, {"idempotency_key": f"shanhuo-refund-{refund.pk}"})
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
