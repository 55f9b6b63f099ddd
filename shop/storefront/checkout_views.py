"""Checkout in three pages, each one form that works without JavaScript: contact and address,
delivery, then the review where the shopper picks how to pay and places the order. Every step
re-checks the cart (stock, prices) and sends the shopper back to it when something must change."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core import viewers
from payments import gateways
from shop import checkout, order_links
from shop.models import Checkout, Order

from . import carts
from .cart_views import tell
from .forms import ContactForm, DeliveryForm, PlaceOrderForm
from .orders_mail import send_order_link


def _ready_cart(request) -> tuple[Checkout | None, object]:
    """The cart, or the page to go to instead: the last order (a placed cart, e.g. a second press of
    "place order"), or the cart page when it is empty or has something to fix."""
    cart = carts.current_cart(request)
    if cart is None or not cart.lines.exists():
        last = request.session.get(carts.LAST_ORDER_KEY)
        if last and request.method == "POST" and order_links.order_for_token(last):
            return None, redirect("shop:order", token=last)
        messages.info(request, _("Your cart is empty."))
        return None, redirect("shop:cart")
    notices = checkout.review(cart)
    if any(notice.blocking for notice in notices):
        # The cart page tells what blocks (it checks again); a moved price is told only once, here.
        tell(request, [notice for notice in notices if not notice.blocking])
        return None, redirect("shop:cart")
    tell(request, notices)
    return cart, None


def _placed(request, order: Order, new: bool):
    """To the order's page; its link is emailed once, by the request that placed it."""
    token = order_links.order_token(order)
    carts.forget_cart(request, token)
    if new:
        send_order_link(request, order, token)
    return redirect("shop:order", token=token)


@never_cache
def contact(request):
    cart, elsewhere = _ready_cart(request)
    if cart is None:
        return elsewhere
    initial = {
        "email": cart.email or (request.user.email if request.user.is_authenticated else ""),
        **cart.address_values(),
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checkout.update_contact(
                cart, email=data["email"], address={name: data[name] for name in Checkout.ADDRESS_FIELDS}
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("shop:checkout_delivery")
    return render(
        request, "storefront/checkout_contact.html", {"form": form, "totals": checkout.estimated(cart), "step": 1}
    )


@never_cache
def delivery(request):
    cart, elsewhere = _ready_cart(request)
    if cart is None:
        return elsewhere
    if not (cart.email and cart.has_address):
        return redirect("shop:checkout")
    options = checkout.delivery_options(cart)
    form = DeliveryForm(options, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            checkout.update_parcel_delivery_methods(cart, form.choices())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("shop:checkout_confirm")
    rows = [(entry, form[entry.parcel.key]) for entry in options]
    return render(request, "storefront/checkout_delivery.html", {"form": form, "rows": rows, "step": 2})


@never_cache
def confirm(request):
    cart, elsewhere = _ready_cart(request)
    if cart is None:
        return elsewhere
    if not (cart.email and cart.has_address):
        return redirect("shop:checkout")
    totals = checkout.totals_of(cart)
    if cart.shipping_method is None or not cart.shipping_method.is_active or totals.total is None:
        return redirect("shop:checkout_delivery")  # no courier yet, or one no longer priced
    device = gateways.Device(user_agent=request.headers.get("User-Agent", ""))
    form = PlaceOrderForm(request.POST or None, initial={"total": totals.total}, device=device)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            placed = checkout.place_order(
                request.user, cart, data["payment_method"], viewers.viewer_keys(request), expected_total=data["total"]
            )
        except ValidationError as error:
            placed_already = Order.objects.filter(checkout_id=cart.pk).first()
            if placed_already is not None:  # placed, but the payment service did not answer
                messages.error(request, " ".join(error.messages))
                return _placed(request, placed_already, new=False)
            form.add_service_errors(error)
            totals = checkout.totals_of(cart)  # the review shows what is true now
            form.data = form.data.copy()
            form.data["total"] = str(totals.total)
        else:
            return _placed(request, placed.order, placed.new)
    return render(
        request,
        "storefront/checkout_confirm.html",
        {"form": form, "cart": cart, "totals": totals, "step": 3},
    )
