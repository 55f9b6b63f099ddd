"""Which cart a browser is looking at. A guest's cart is remembered in their session; an account's
is its open checkout (shop.checkout.cart_of), so it follows the shopper to another device. When a
guest logs in or signs up, their cart goes with them (shop.checkout.claim_cart)."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

from shop import checkout
from shop.models import Checkout
from shop.signals import cart_added

SESSION_KEY = "shop.cart"
LAST_ORDER_KEY = "shop.last_order"


def current_cart(request) -> Checkout | None:
    if request.user.is_authenticated:
        return checkout.cart_of(request.user)
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return Checkout.objects.select_related("shipping_method").filter(pk=pk, user=None, completed_at=None).first()


def add_to_cart(request, lines: list[checkout.LineRequest]) -> Checkout:
    """Add to the browser's cart, making the cart with its first goods (so a refused first add
    leaves no empty cart behind)."""
    cart = current_cart(request)
    if cart is not None:
        cart = checkout.add_lines(cart, lines)
    else:
        cart = checkout.create_checkout(request.user, lines=lines)
        if not request.user.is_authenticated:
            request.session[SESSION_KEY] = str(cart.pk)
    cart_added.send(sender=Checkout, product_ids=[line.variant.product_id for line in lines], request=request)
    return cart


def forget_cart(request, order_token: str) -> None:
    """The cart became an order: the browser keeps the way back to it instead."""
    request.session.pop(SESSION_KEY, None)
    request.session[LAST_ORDER_KEY] = order_token


@receiver(user_logged_in, dispatch_uid="shop.claim_guest_cart")
def claim_guest_cart(sender, request, user, **kwargs):
    pk = request.session.pop(SESSION_KEY, None) if request is not None else None
    guest = Checkout.objects.filter(pk=pk, user=None, completed_at=None).first() if pk else None
    if guest is not None:
        dropped = checkout.claim_cart(user, guest)
        if dropped:
            messages.warning(
                request,
                _("Your account's cart already had goods; these could not be added: %(names)s.")
                % {"names": "、".join(dropped)},
            )
