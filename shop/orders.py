"""Orders after checkout: each seller ships their parcel; the order's status follows the parcels
and the payment; a shopper or operator may cancel before anything ships, which returns the stock."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from payments import gateways, pending_payments
from payments import shopper_payments as payments

from . import catalog
from .models import Fulfilment, FulfilmentStatus, Order, OrderStatus, Variant
from .permissions import can_manage_order, can_ship

logger = logging.getLogger(__name__)

CLOSED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
CARRIER_MAX = Fulfilment._meta.get_field("carrier").max_length
TRACKING_MAX = Fulfilment._meta.get_field("tracking_number").max_length


# --- Status -----------------------------------------------------------------------------------


def refresh_status(order: Order) -> None:
    """Derive the order's status from its parcels and payment; cancelled and refunded are final."""
    if order.status in CLOSED:
        return
    states = [fulfilment.status for fulfilment in order.fulfilments.all()]
    moved = [state for state in states if state in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)]
    if states and all(state == FulfilmentStatus.DELIVERED for state in states):
        status = OrderStatus.DELIVERED
    elif states and len(moved) == len(states):
        status = OrderStatus.SHIPPED
    elif moved:
        status = OrderStatus.PARTIALLY_SHIPPED
    else:
        status = OrderStatus.PAID if order.paid_at else OrderStatus.UNPAID
    if status != order.status:
        order.status = status
        order.save(update_fields=["status"])


def _locked(fulfilment: Fulfilment) -> tuple[Order, Fulfilment]:
    order = Order.objects.select_for_update().get(pk=fulfilment.order_id)
    return order, Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)


@transaction.atomic
def ship_fulfilment(actor, fulfilment: Fulfilment, carrier: str, tracking_number: str) -> Fulfilment:
    """Mark a parcel shipped. A card order must be paid first; an offline order may ship unpaid,
    because with cash on delivery the courier collects the money."""
    if not can_ship(actor, fulfilment):
        raise PermissionDenied(_("You can only ship your own parcels."))
    order, fulfilment = _locked(fulfilment)
    if order.status in CLOSED:
        raise field_error(None, _("This order was cancelled or refunded."), "order_closed")
    if order.paid_at is None and not gateways.get(order.payment_method).ships_before_payment:
        raise field_error(None, _("Wait until the order is paid."), "not_paid")
    if fulfilment.status != FulfilmentStatus.UNFULFILLED:
        raise field_error(None, _("This parcel has already been shipped."), "invalid_transition")
    errors = {}
    carrier = " ".join((carrier or "").split())
    tracking_number = "".join((tracking_number or "").split())
    for name, value, limit in (("carrier", carrier, CARRIER_MAX), ("tracking_number", tracking_number, TRACKING_MAX)):
        if not value:
            errors[name] = ValidationError(_("This field is required."), code="required")
        elif len(value) > limit:
            errors[name] = ValidationError(_("At most %(max)d characters."), code="max_length", params={"max": limit})
    if errors:
        raise ValidationError(errors)
    fulfilment.status = FulfilmentStatus.SHIPPED
    fulfilment.carrier = carrier
    fulfilment.tracking_number = tracking_number
    fulfilment.shipped_at = timezone.now()
    fulfilment.save()
    refresh_status(order)
    return fulfilment


@transaction.atomic
def deliver_fulfilment(actor, fulfilment: Fulfilment) -> Fulfilment:
    """The parcel arrived: said by its seller, an operator, or the shopper who received it."""
    order = fulfilment.order
    if not (can_ship(actor, fulfilment) or can_manage_order(actor, order)):
        raise PermissionDenied(_("You cannot change this parcel."))
    order, fulfilment = _locked(fulfilment)
    if fulfilment.status != FulfilmentStatus.SHIPPED:
        raise field_error(None, _("Only a shipped parcel can be delivered."), "invalid_transition")
    fulfilment.status = FulfilmentStatus.DELIVERED
    fulfilment.delivered_at = timezone.now()
    fulfilment.save(update_fields=["status", "delivered_at"])
    refresh_status(order)
    return fulfilment


def cancel_order(actor, order: Order, *, holds_link: bool = False) -> Order:
    """Cancel before anything ships: the stock goes back, and money already paid is refunded.
    A guest proves the order is theirs with its signed link (`holds_link`, checked by the caller
    with shop.order_links); an account's order needs the account."""
    if not (can_manage_order(actor, order) or (holds_link and order.user_id is None)):
        raise PermissionDenied(_("You can only cancel your own orders."))
    return _cancel(
        order,
        (OrderStatus.UNPAID, OrderStatus.PAID),
        field_error(None, _("An order can be cancelled only before anything has shipped."), "cannot_cancel"),
    )


def _cancel(order: Order, cancellable: tuple, refusal: ValidationError) -> Order:
    """The stock goes back and the parcels are called off, under the payment's lock and then the
    order's (`payments.cancel_payment`), which then closes the payment or refunds it."""

    def close_order():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in cancellable:
            raise refusal
        lines = sorted(locked.lines.exclude(variant=None).select_related("variant"), key=lambda line: line.variant_id)
        for line in lines:
            Variant.objects.filter(pk=line.variant_id).update(stock=F("stock") + line.quantity)
        catalog.sync_in_stock({line.variant.product_id for line in lines})
        locked.fulfilments.update(status=FulfilmentStatus.CANCELLED)
        locked.status = OrderStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at"])

    payments.cancel_payment(order.pk, close_order)
    order.refresh_from_db()
    return order


def timed_out_gateways() -> list[str]:
    """Gateways whose unpaid orders time out: those paid online. Offline payments wait for a bank
    transfer or the courier's cash, which take days, so they never do."""
    return [
        gateway.name
        for gateway in gateways.registry.all()
        if not (gateway.confirmed_by_hand or gateway.ships_before_payment)
    ]


def cancel_unpaid_orders(now=None) -> list[int]:
    """Cancel orders paid online and still unpaid PAYMENT_TIMEOUT_MINUTES after they were placed, so
    their stock goes back on sale; each payment is closed at its provider (`payments.cancel_payment`).
    The provider is asked first: a payment made whose notify was lost is booked, not cancelled; when
    it cannot be asked, the order waits for the next run. Money that still arrives after the close is
    refunded on arrival (`record_paid`). Returns the ids of the orders cancelled."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES)
    due = Order.objects.filter(
        status=OrderStatus.UNPAID, created_at__lt=cutoff, payment_method__in=timed_out_gateways()
    ).select_related("payment")
    refusal = field_error(None, _("This order is no longer unpaid."), "not_unpaid")
    cancelled = []
    for order in due.order_by("pk").iterator():
        try:
            if pending_payments.settle_from_provider(order.payment) == "paid":
                continue
            _cancel(order, (OrderStatus.UNPAID,), refusal)
        except gateways.GatewayError:
            logger.warning("could not ask the provider about order %s's payment", order.pk, exc_info=True)
            continue
        except ValidationError:
            continue  # paid (or cancelled) while we looked
        cancelled.append(order.pk)
    return cancelled


def record_paid(payment) -> None:
    """The order's payment arrived (`payments.signals.payment_succeeded`, in its transaction, with
    the payment locked). Money for an order already cancelled goes straight back."""
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    order.paid_at = payment.succeeded_at
    order.save(update_fields=["paid_at"])
    refresh_status(order)
    if order.status == OrderStatus.CANCELLED:
        transaction.on_commit(lambda: payments.refund_in_full_after_cancel(payment.pk))


def record_refunded(order_id: int, *, whole_order: bool) -> None:
    """A refund succeeded. One that returned the rest of the order (shipping included) closes it:
    parcels not yet shipped are called off, since nothing is left to send for."""
    if not whole_order:
        return
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == OrderStatus.CANCELLED:
        return
    order.status = OrderStatus.REFUNDED
    order.save(update_fields=["status"])
    order.fulfilments.filter(status=FulfilmentStatus.UNFULFILLED).update(status=FulfilmentStatus.CANCELLED)
