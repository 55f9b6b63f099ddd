"""Payments and refunds: the only code that changes a Payment or a Refund, and books them.

A payment's status only moves forward (pending → failed → succeeded → refunded; a success may
follow a failure, never the reverse), each change under a row lock, so webhooks arriving twice,
late or out of order leave the same result as the real sequence. Gateways are called outside
database transactions, with idempotency keys derived from our own rows."""

import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from core.permissions import staff
from shop.models import FulfilmentStatus, Order, OrderLine, OrderStatus, PaymentMethod

from . import gateways, ledger
from .models import Payment, PaymentStatus, Refund, RefundStatus

logger = logging.getLogger(__name__)


def create_payment(order: Order) -> Payment:
    return Payment.objects.create(
        order=order, gateway=order.payment_method, amount=order.total, currency=order.currency
    )


def start_payment(payment: Payment) -> Payment:
    """Open the payment at its gateway (for Stripe, the PaymentIntent whose client secret the
    shopper's app confirms). Safe to repeat: the idempotency key comes from the order."""
    if (
        payment.gateway != PaymentMethod.STRIPE
        or payment.stripe_payment_intent
        or payment.status != PaymentStatus.PENDING
    ):
        return payment
    fields = gateways.get(payment.gateway).start(payment)
    Payment.objects.filter(pk=payment.pk, stripe_payment_intent__isnull=True).update(**fields)
    payment.refresh_from_db()
    return payment


@transaction.atomic
def record_succeeded(payment_id: int, *, amount: Decimal | None = None, confirmed_by=None, reference: str = "") -> bool:
    """The money arrived. Books the payment once; False when it was already recorded.

    Locks the order before the payment, in the same order as `shop.orders.cancel_order`, so a
    webhook and a cancellation arriving together cannot deadlock."""
    order = Order.objects.select_for_update().get(payment__pk=payment_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
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
    order.paid_at = now
    order.save(update_fields=["paid_at"])
    from shop.orders import refresh_status

    refresh_status(order)
    ledger.book_payment(payment)
    if order.status == OrderStatus.CANCELLED:
        # Paid while being cancelled: the money goes straight back.
        transaction.on_commit(lambda: _refund_cancelled(payment_id))
    return True


def _refund_cancelled(payment_id: int) -> None:
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
    return True


def confirm_offline_payment(actor, payment: Payment, reference: str = "") -> Payment:
    """An operator saw the bank transfer arrive, or the courier handed over the cash."""
    if not staff(actor):
        raise PermissionDenied(_("Only operators confirm offline payments."))
    if payment.gateway != PaymentMethod.OFFLINE:
        raise field_error(None, _("Card payments are confirmed by the card network, not by hand."), "invalid")
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        raise field_error(None, _("This payment is already confirmed."), "already_paid")
    record_succeeded(payment.pk, confirmed_by=actor, reference=reference or "")
    payment.refresh_from_db()
    return payment


# --- Refunds ----------------------------------------------------------------------------------


def _taken_lines(payment: Payment) -> set[int]:
    """Lines already refunded or in a refund still pending."""
    return set(
        OrderLine.objects.filter(
            refunds__payment=payment, refunds__status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
        ).values_list("pk", flat=True)
    )


def _shipping_taken(payment: Payment) -> bool:
    return payment.refunds.filter(
        includes_shipping=True, status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
    ).exists()


def refund_payment(actor, payment: Payment, lines: list[OrderLine] | None = None, reason: str = "") -> Refund:
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
                raise field_error("linesIds", _("Choose the lines to refund."), "required")
            if any(line.order_id != payment.order_id for line in lines):
                raise field_error("linesIds", _("These lines are not in this order."), "invalid")
            if any(line.pk in taken for line in lines):
                raise field_error("linesIds", _("Some of these lines are already refunded."), "already_refunded")
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
        refund.lines.set(lines)
        payment.refunded_amount += amount
        payment.save(update_fields=["refunded_amount"])
    try:
        outcome = gateways.get(payment.gateway).refund(refund)
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
    if remote_id and not refund.stripe_refund:
        refund.stripe_refund = remote_id
        refund.save(update_fields=["stripe_refund"])
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
    order = payment.order
    if refund.includes_shipping and order.status != OrderStatus.CANCELLED:
        order.status = OrderStatus.REFUNDED
        order.save(update_fields=["status"])
        # Nothing is left to send for: parcels not yet shipped are called off.
        order.fulfilments.filter(status=FulfilmentStatus.UNFULFILLED).update(status=FulfilmentStatus.CANCELLED)
    return True
