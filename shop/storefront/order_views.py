"""The shopper's orders: one page per order, reached by its signed link (a guest's only way back,
also emailed), and the list of an account's orders. The order page shows each farmer's parcel with
what it holds, who grew it and where, its state and tracking number, how to pay while unpaid, and a
button to cancel before anything ships."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from payments import gateways
from payments import shopper_payments as payments
from payments.models import PaymentStatus
from shop import order_links, orders
from shop.models import Fulfilment, Order, OrderStatus
from shop.permissions import can_manage_order, orders_of

from .carts import LAST_ORDER_KEY


def device_of(request, token) -> gateways.Device:
    """The shopper's device as the gateways need it (channel, client IP, where to come back to)."""
    return gateways.Device(
        user_agent=request.headers.get("User-Agent", ""),
        client_ip=request.META.get("REMOTE_ADDR", ""),
        openid=request.session.get("wechat_openid", ""),
        return_url=request.build_absolute_uri(reverse("shop:order", args=[token])),
    )


def _order_for(request, token) -> Order:
    """The order of a genuine link. An account's order also needs its account (or staff): a link
    forwarded from an account's mailbox does not open it for someone else."""
    order = order_links.order_for_token(token)
    if order is None:
        raise Http404
    if order.user_id is not None and not can_manage_order(request.user, order):
        if not request.user.is_authenticated:
            raise _LogInFirst
        raise Http404
    return order


class _LogInFirst(Exception):
    pass


def _with_parcels(order: Order) -> Order:
    return (
        Order.objects.select_related("payment")
        .prefetch_related(Prefetch("fulfilments", Fulfilment.objects.prefetch_related("lines")))
        .get(pk=order.pk)
    )


@never_cache
def order(request, token):
    try:
        order = _with_parcels(_order_for(request, token))
    except _LogInFirst:
        return redirect_to_login(request.get_full_path())
    payment = order.payment
    gateway = gateways.get(payment.gateway)
    open_payment = order.status == OrderStatus.UNPAID and payment.status in payments.OPEN
    step = None
    if open_payment:
        try:
            step = payments.payment_step(payment, device_of(request, token))
        except gateways.GatewayError:
            step = None
    context = {
        "order": order,
        "token": token,
        "link": request.build_absolute_uri(),
        "payment": payment,
        "step": step,
        # A card payment opened nowhere yet: the gateway did not answer when the order was placed.
        "retry_payment": open_payment and (step is None or not gateway.is_started(payment)),
        # Back from the card form: wait for the gateway's word while the payment is pending; a
        # failed one shows the form again, with why.
        "confirming": request.GET.get("paid") == "1" and open_payment and payment.status == PaymentStatus.PENDING,
        "can_cancel": order.status in (OrderStatus.UNPAID, OrderStatus.PAID),
        "just_placed": request.session.get(LAST_ORDER_KEY) == token and order.paid_at is None,
    }
    return render(request, "storefront/order.html", context)


@require_POST
def order_cancel(request, token):
    try:
        order = _order_for(request, token)
    except _LogInFirst:
        return redirect_to_login(reverse("shop:order", args=[token]))
    try:
        orders.cancel_order(request.user, order, holds_link=True)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("The order is cancelled. Money already paid goes back to you."))
    return redirect("shop:order", token=token)


@require_POST
def order_pay(request, token):
    """Open the payment again at its gateway, after the gateway failed to answer at checkout."""
    try:
        order = _order_for(request, token)
    except _LogInFirst:
        return redirect_to_login(reverse("shop:order", args=[token]))
    try:
        payments.start_payment(order.payment)
    except gateways.GatewayError:
        messages.error(request, _("The payment service did not answer. Try again in a minute."))
    return redirect("shop:order", token=token)


@never_cache
def my_orders(request):
    if not request.user.is_authenticated:
        return render(request, "storefront/orders_guest.html")
    mine = orders_of(request.user).prefetch_related("fulfilments")[:50]
    rows = [(order, order_links.order_token(order)) for order in mine]
    return render(request, "storefront/orders.html", {"rows": rows})
