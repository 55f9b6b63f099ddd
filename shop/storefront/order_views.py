"""The shopper's orders: one page per order, reached by its signed link (a guest's only way back,
also emailed), and the list of an account's orders. The order page shows each farmer's parcel with
what it holds, who grew it and where, its state and tracking number, how to pay while unpaid, and a
button to cancel before anything ships."""

import logging

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

from core import wechat_oauth
from core.responses import JsonResponse
from payments import gateways
from payments import shopper_payments as payments
from payments.models import PaymentStatus
from shop import order_links, orders
from shop.models import Fulfilment, Order, OrderStatus
from shop.permissions import can_manage_order, orders_of

from .carts import LAST_ORDER_KEY

logger = logging.getLogger(__name__)

# Steps paid outside this page (a QR code, the provider's page, WeChat's own sheet): the page waits.
WALLET_STEPS = ("qr", "redirect", "jsapi")


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
        device = device_of(request, token)
        if _may_ask_wechat(request, token, payment.gateway, device):
            return _ask_wechat_for_openid(request, token)
        try:
            step = payments.payment_step(payment, device)
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
        # Paid in another app or on another device: the page asks whether the money arrived.
        "waiting_for_provider": step is not None and step.kind in WALLET_STEPS,
    }
    return render(request, "storefront/order.html", context)


@never_cache
def order_status(request, token):
    """Whether the order is paid yet, for the order page's few lines of script that wait while the
    shopper pays in WeChat or Alipay. Only for a holder of the order's link (and its account)."""
    try:
        order = _order_for(request, token)
    except _LogInFirst:
        raise Http404 from None
    return JsonResponse({"paid": order.paid_at is not None, "open": order.status == OrderStatus.UNPAID})


# --- The shopper's WeChat openid (JSAPI) -------------------------------------------------------

_OPENID_KEY = "wechat_openid"
_ASKED_KEY = "wechat_openid_asked"


def _may_ask_wechat(request, token, gateway: str, device: gateways.Device) -> bool:
    """WeChat is asked once per order and session: when it fails the page offers what it can."""
    return (
        gateways.needs_openid(gateway, device)
        and wechat_oauth.is_configured()
        and token not in request.session.get(_ASKED_KEY, [])
    )


def _ask_wechat_for_openid(request, token):
    request.session[_ASKED_KEY] = [*request.session.get(_ASKED_KEY, [])[-9:], token]
    state = wechat_oauth.new_state(request.session, token)
    return redirect(wechat_oauth.authorize_url(request.build_absolute_uri(reverse("shop:wechat_openid")), state))


@never_cache
def wechat_openid(request):
    """WeChat's way back with a code for the shopper's openid. The state must be the one this
    session sent, so nobody can make a shopper pay under another's openid."""
    token = wechat_oauth.check_state(request.session, request.GET.get("state", ""))
    if token is None or order_links.order_for_token(token) is None:
        messages.error(request, _("This link from WeChat has expired. Open your order again."))
        return redirect("shop:orders")
    try:
        request.session[_OPENID_KEY] = wechat_oauth.openid_for_code(request.GET.get("code", ""))
    except wechat_oauth.WeChatOAuthError:
        logger.warning("no openid from WeChat for order %s", token, exc_info=True)
        messages.error(request, _("WeChat did not answer. Open your order's link in your phone's browser to pay."))
    return redirect("shop:order", token=token)


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
