"""Payments and refunds: the only code that changes a Payment or a Refund, and books them.

A payment's status only moves forward (pending → failed → succeeded → refunded; a success may
follow a failure, never the reverse), each change under a row lock, so webhooks arriving twice,
late or out of order leave the same result as the real sequence. Gateways are called outside
database transactions, with idempotency keys derived from our own rows.

Payments sits below shop: it reads an order through the payment's relation but never imports
shop; what shop must do when money arrives or goes back it learns from `payments.signals`. Where
a payment and its order are both locked, the payment is locked first, everywhere."""

import logging
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import metrics
from core.errors import field_error
from core.permissions import staff

from . import gateways, ledger
from .models import Payment, PaymentStatus, Refund, RefundStatus
from .signals import payment_succeeded, refund_succeeded

logger = logging.getLogger(__name__)

OPEN = (PaymentStatus.PENDING, PaymentStatus.FAILED)


def create_payment(order) -> Payment:
    """The order's payment. Its merchant reference (the number WeChat Pay and Alipay know it by) is
    the checkout's UUID: 32 characters, as WeChat allows, and unique across every database that
    shares one merchant account (staging, a restored backup), so a notify never finds a stranger."""
    payment = Payment.objects.create(
        order=order,
        gateway=order.payment_method,
        amount=order.total,
        currency=order.currency,
        merchant_reference=order.checkout_id.hex,
    )
    metrics.count_payment(payment.status, payment.gateway)
    return payment


def start_payment(payment: Payment) -> Payment:
    """Open the payment at its gateway (for Stripe, the PaymentIntent whose client secret the
    shopper's app confirms). Safe to repeat: the idempotency key comes from the order."""
    gateway = gateways.get(payment.gateway)
    if gateway.is_started(payment) or payment.status != PaymentStatus.PENDING:
        return payment
    fields = gateway.start(payment)
    Payment.objects.filter(pk=payment.pk, stripe_payment_intent__isnull=True).update(**fields)
    payment.refresh_from_db()
    return payment


def payment_step(payment: Payment, device: gateways.Device) -> gateways.PaymentStep | None:
    """What the shopper does now to pay an open payment from this device. The first time a channel
    is asked for (a QR code on a computer, the phone page, inside WeChat), the payment is opened at
    the provider for it, outside any transaction, and what the page needs is kept. Raises
    `GatewayError` when the provider does not answer."""
    if payment.status not in OPEN:
        return None
    gateway = gateways.get(payment.gateway)
    channel = gateway.channel(device)
    if channel and channel not in payment.shopper_data:
        data = gateway.open(payment, device)
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if channel not in locked.shopper_data:
                locked.shopper_data = {**locked.shopper_data, channel: data}
                locked.save(update_fields=["shopper_data"])
        payment.refresh_from_db()
    return gateway.shopper_step(payment, device)


def client_secret(payment: Payment) -> str | None:
    """What the shopper's app confirms a card payment with, while there is something to pay."""
    return (payment.client_secret or None) if payment.status in OPEN else None


def cancel_payment(order_id: int, close_order: Callable[[], object]) -> Payment:
    """Call off an order's payment together with the order. Under the payment's lock (taken
    before the order's, as everywhere) `close_order` does the order's part, then an open payment is
    closed; whatever `close_order` raises undoes both. After the commit, money already received
    goes back in full, or the open payment is closed at its gateway."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(order_id=order_id)
        close_order()
        was_open = payment.status in OPEN
        if was_open:
            payment.status = PaymentStatus.CANCELLED
            payment.save(update_fields=["status"])
            metrics.count_payment(payment.status, payment.gateway)
    if payment.status == PaymentStatus.SUCCEEDED:
        try:
            refund_payment(None, payment, reason="order cancelled")
        except ValidationError as error:
            # An operator's refund got there first: the money is on its way back already.
            if getattr(error, "code", None) not in ("nothing_to_refund", "not_paid"):
                raise
    elif was_open:
        try:
            gateways.get(payment.gateway).cancel(payment)
        except gateways.GatewayError:
            # The order is cancelled either way; a payment that still arrives is refunded on arrival.
            logger.warning("could not cancel payment %s at the gateway", payment.pk, exc_info=True)
    return payment


@transaction.atomic
def record_succeeded(
    payment_id: int,
    *,
    amount: Decimal | None = None,
    confirmed_by=None,
    reference: str = "",
    provider_reference: str = "",
) -> bool:
    """The money arrived. Books the payment once; False when it was already recorded. The order
    learns of it through `payment_succeeded`, in this transaction. `provider_reference` is the
    provider's number for the payment (WeChat's transaction_id, Alipay's trade_no), kept whichever
    word came first."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if provider_reference and not payment.provider_reference:
        payment.provider_reference = provider_reference[:64]
        payment.save(update_fields=["provider_reference"])
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return False
    if amount is not None and amount != payment.amount:
        raise field_error(None, _("The amount received does not match the order."), "amount_mismatch")
    now = timezone.now()
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = now
    payment.failure_message = ""
    payment.confirmed_by = confirmed_by
    payment.reference = reference[:80]
    payment.save()
    ledger.book_payment(payment)
    metrics.count_payment(payment.status, payment.gateway)
    payment_succeeded.send(sender=Payment, payment=payment)
    return True


def refund_in_full_after_cancel(payment_id: int) -> None:
    """Money for an order that was cancelled goes straight back (run after the commit)."""
    try:
        refund_payment(None, Payment.objects.get(pk=payment_id), reason="order cancelled")
    except (ValidationError, gateways.GatewayError):
        # Stays visible: a paid payment on a cancelled order, for an operator to refund.
        logger.exception("could not refund payment %s of a cancelled order", payment_id)


@transaction.atomic
def record_failed(payment_id: int, message: str = "") -> bool:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != PaymentStatus.PENDING:
        return False
    payment.status = PaymentStatus.FAILED
    payment.failure_message = (message or "")[:255]
    payment.save(update_fields=["status", "failure_message"])
    metrics.count_payment(payment.status, payment.gateway)
    return True


def confirm_offline_payment(actor, payment: Payment, reference: str = "") -> Payment:
    """An operator saw the bank transfer arrive, or the courier handed over the cash. Exactly one
    confirmation of a payment succeeds, however many race: the others (and any later one) are
    refused with `already_paid`, and the money is booked once (`record_succeeded`'s lock)."""
    if not staff(actor):
        raise PermissionDenied(_("Only operators confirm offline payments."))
    if not gateways.get(payment.gateway).confirmed_by_hand:
        raise field_error(None, _("Card payments are confirmed by the card network, not by hand."), "invalid")
    already = field_error(None, _("This payment is already confirmed."), "already_paid")
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        raise already
    if not record_succeeded(payment.pk, confirmed_by=actor, reference=reference or ""):
        # Another operator (or a second click) confirmed it between our read and the lock: one
        # confirmation books the money, every other one is told it came too late.
        raise already
    payment.refresh_from_db()
    return payment


# --- Refunds ----------------------------------------------------------------------------------


def _taken_lines(payment: Payment) -> set[int]:
    """Lines already refunded or in a refund still pending."""
    return set(
        Refund.lines.through.objects.filter(
            refund__payment=payment, refund__status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
        ).values_list("orderline_id", flat=True)
    )


def _shipping_taken(payment: Payment) -> bool:
    return payment.refunds.filter(
        includes_shipping=True, status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
    ).exists()


def refund_payment(actor, payment: Payment, lines: list | None = None, reason: str = "") -> Refund:
    """Refund chosen lines, or (no lines) everything not yet refunded including shipping.

    `actor` None is the system itself (a cancelled order); otherwise only operators refund. The
    refund is reserved against the payment in one transaction, so concurrent refunds can never
    add up to more than was paid; then the gateway is asked, outside the transaction."""
    if actor is not None and not staff(actor):
        raise PermissionDenied(_("Only operators make refunds."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise field_error(None, _("Only a paid order can be refunded."), "not_paid")
        taken = _taken_lines(payment)
        if lines is not None:
            if not lines:
                raise field_error("lines", _("Choose the lines to refund."), "required")
            if any(line.order_id != payment.order_id for line in lines):
                raise field_error("lines", _("These lines are not in this order."), "invalid")
            if any(line.pk in taken for line in lines):
                raise field_error("lines", _("Some of these lines are already refunded."), "already_refunded")
            includes_shipping = False
        else:
            lines = [line for line in payment.order.lines.all() if line.pk not in taken]
            includes_shipping = not _shipping_taken(payment)
        amount = sum((line.total for line in lines), Decimal("0"))
        if includes_shipping:
            amount += payment.order.shipping_total
        if amount <= 0:
            raise field_error(None, _("Nothing is left to refund."), "nothing_to_refund")
        if payment.refunded_amount + amount > payment.amount:
            raise field_error(None, _("This would refund more than was paid."), "invalid")
        refund = Refund.objects.create(
            payment=payment, amount=amount, includes_shipping=includes_shipping, reason=reason[:255], created_by=actor
        )
        if payment.merchant_reference:
            # What WeChat Pay and Alipay key the refund by (out_refund_no / out_request_no): a retry
            # of the same refund can never send the money twice.
            refund.merchant_reference = f"{payment.merchant_reference}R{refund.pk}"
            refund.save(update_fields=["merchant_reference"])
        refund.lines.set(lines)
        payment.refunded_amount += amount
        payment.save(update_fields=["refunded_amount"])
    try:
        outcome = gateways.get(payment.gateway).refund(refund)
    except gateways.GatewayUnsure as error:
        # It may have been done: the refund stays pending (its money reserved) until the provider's
        # notify or a query (`Gateway.query_refund`, same merchant reference) says how it went.
        raise field_error(
            None,
            _("The payment service did not answer; the refund will be checked again: %(reason)s"),
            "gateway_unsure",
            reason=str(error),
        )
    except gateways.GatewayError as error:
        finish_refund(refund.pk, RefundStatus.FAILED)
        raise field_error(
            None, _("The payment service refused the refund: %(reason)s"), "gateway_error", reason=str(error)
        )
    finish_refund(refund.pk, outcome.status, outcome.remote_id)
    refund.refresh_from_db()
    return refund


@transaction.atomic
def finish_refund(refund_id: int, status: str, remote_id: str | None = None) -> bool:
    """Settle a refund once: booked in the ledger when it succeeds, its reservation released when
    it fails. A refund that has settled never changes again."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    payment = Payment.objects.select_for_update().select_related("order").get(pk=refund.payment_id)
    if remote_id and payment.gateway == "stripe" and not refund.stripe_refund:
        refund.stripe_refund = remote_id
        refund.save(update_fields=["stripe_refund"])
    elif remote_id and payment.gateway != "stripe" and not refund.provider_reference:
        refund.provider_reference = remote_id[:64]
        refund.save(update_fields=["provider_reference"])
    if refund.status != RefundStatus.PENDING or status == RefundStatus.PENDING:
        return False
    refund.status = status
    refund.save(update_fields=["status"])
    if status == RefundStatus.FAILED:
        payment.refunded_amount -= refund.amount
        payment.save(update_fields=["refunded_amount"])
        return True
    refund.lines.update(refunded_at=timezone.now())
    ledger.book_refund(refund)
    settled = ledger.from_fen(
        payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(fen=ledger.fen_sum("amount"))["fen"]
    )
    if settled == payment.amount:
        payment.status = PaymentStatus.REFUNDED
        payment.save(update_fields=["status"])
        metrics.count_payment(payment.status, payment.gateway)
    refund_succeeded.send(sender=Refund, refund=refund, payment=payment)
    return True
