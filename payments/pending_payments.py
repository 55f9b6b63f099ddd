"""Payments and refunds whose notify never came. WeChat Pay and Alipay tell us of a payment by a notify, which
can be lost (our site was down, their retries ran out); so a payment still open a few minutes after
it was opened is asked about at the provider (`Gateway.query`), and booked or marked failed from
the answer, through the same services a notify uses (`shopper_payments`), so a notify and a query
arriving together book it once. Refunds left pending (WeChat Pay's refund notify lost, or an
answer lost on the way, `GatewayUnsure`) are asked about the same way (`Gateway.query_refund`)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import gateways, shopper_payments
from .gateways.base import Gateway
from .models import Payment, Refund, RefundStatus

logger = logging.getLogger(__name__)


def asked_gateways(method: str = "query") -> list[str]:
    """The configured gateways that answer `query` (or `query_refund`): WeChat Pay, Alipay. Stripe
    retries its webhooks for days and offline has no provider, so theirs are never asked."""
    return [
        gateway.name
        for gateway in gateways.registry.all()
        if gateway.is_configured() and getattr(type(gateway), method) is not getattr(Gateway, method)
    ]


def settle_from_provider(payment: Payment) -> str | None:
    """Ask the provider how an open payment stands and act on it: "paid" books it (the amount and
    currency checked against the order, the provider's number kept), "closed" marks it failed.
    Returns the provider's status, or None when there was nothing to ask: the gateway is not asked,
    or the payment was never opened there (no channel in `shopper_data`: the shopper never reached
    the page that opens it). Raises `GatewayError` when the provider does not answer. A payment
    paid at the provider with a different amount is logged and left open, for an operator."""
    if payment.status not in shopper_payments.OPEN or not payment.shopper_data:
        return None
    state = gateways.get(payment.gateway).query(payment)
    if state is None:
        return None
    if state.status == "paid":
        if state.amount is None or (state.currency and state.currency != payment.currency):
            logger.error("payment %s: the provider says paid %s %s", payment.pk, state.amount, state.currency)
            return state.status
        try:
            shopper_payments.record_succeeded(
                payment.pk, amount=state.amount, provider_reference=state.provider_reference
            )
        except ValidationError:
            logger.error("payment %s: the provider says paid %s, not %s", payment.pk, state.amount, payment.amount)
    elif state.status == "closed":
        shopper_payments.record_failed(payment.pk, "closed at the provider")
    return state.status


def check_pending_payments(now=None) -> dict[str, int]:
    """Ask the provider about every open payment opened more than PAYMENT_QUERY_AFTER_MINUTES ago
    (a notify normally comes within seconds). One unreachable provider or odd answer does not stop
    the others. Returns how many payments got each answer ("error": no answer)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES)
    due = (
        Payment.objects.filter(gateway__in=asked_gateways(), status__in=shopper_payments.OPEN, created_at__lt=cutoff)
        .exclude(shopper_data={})
        .order_by("pk")
    )
    counts: dict[str, int] = {}
    for payment in due.iterator():
        try:
            status = settle_from_provider(payment) or "none"
        except gateways.GatewayError:
            logger.warning("could not ask the provider about payment %s", payment.pk, exc_info=True)
            status = "error"
        counts[status] = counts.get(status, 0) + 1
    return counts


def check_pending_refunds(now=None) -> dict[str, int]:
    """Ask the provider about every refund still pending PAYMENT_QUERY_AFTER_MINUTES after it was
    made, and settle it from the answer through `finish_refund` (once, however a notify races it).
    A refund the provider never received is sent again by the gateway under the same merchant
    reference, which the provider never carries out twice. Returns how many got each answer."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES)
    due = Refund.objects.filter(
        payment__gateway__in=asked_gateways("query_refund"),
        status=RefundStatus.PENDING,
        created_at__lt=cutoff,
        merchant_reference__isnull=False,
    ).select_related("payment")
    counts: dict[str, int] = {}
    for refund in due.order_by("pk").iterator():
        try:
            outcome = gateways.get(refund.payment.gateway).query_refund(refund)
        except gateways.GatewayError:
            logger.warning("could not ask the provider about refund %s", refund.pk, exc_info=True)
            outcome = None
        status = "error" if outcome is None else outcome.status
        if outcome is not None:
            shopper_payments.finish_refund(refund.pk, outcome.status, outcome.remote_id)
        counts[status] = counts.get(status, 0) + 1
    return counts
