"""The cart page: the goods grouped into the parcels each farmer sends, with quantities to change,
an estimate of each parcel's shipping, and the total. Every visit re-checks stock and prices
(shop.checkout.review) and says what changed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shop import checkout
from shop.models import CheckoutLine

from .carts import current_cart
from .forms import QuantityForm


def tell(request, notices) -> bool:
    """Show what changed; True when something must be fixed in the cart before ordering."""
    for notice in notices:
        (messages.error if notice.blocking else messages.warning)(request, notice.message)
    return any(notice.blocking for notice in notices)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def cart(request):
    cart = current_cart(request)
    context = {"cart": cart, "totals": None, "blocked": set()}
    if cart is not None and cart.lines.exists():
        notices = checkout.review(cart)
        tell(request, notices)
        context["blocked"] = {notice.line.pk for notice in notices if notice.blocking}
        context["totals"] = checkout.estimated(cart)
    return render(request, "storefront/cart.html", context)


def _line_of(request, pk) -> tuple:
    """A line of this browser's own cart; anyone else's is not found."""
    cart = current_cart(request)
    line = get_object_or_404(CheckoutLine.objects.select_related("variant__product"), pk=pk, checkout=cart)
    return cart, line


@require_POST
def line_update(request, pk):
    cart, line = _line_of(request, pk)
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["quantity"]))
        return redirect("shop:cart")
    try:
        checkout.update_lines(cart, [(line, form.cleaned_data["quantity"])])
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("shop:cart")


@require_POST
def line_remove(request, pk):
    cart, line = _line_of(request, pk)
    checkout.delete_lines(cart, [line])
    return redirect("shop:cart")
