"""The link a guest keeps to their order: signed, so it cannot be guessed or altered.

It carries the order's checkout UUID (random, never shown elsewhere) and an HMAC made with the
site's SECRET_KEY under a salt of its own. No expiry: a parcel can take weeks and the link is the
guest's only way back. An account's orders are reached by logging in; the link works for them too,
for the account's owner."""

from django.core import signing

from .models import Order

SALT = "shop.order-link"


def order_token(order: Order) -> str:
    return signing.Signer(salt=SALT).sign(order.checkout_id.hex)


def order_for_token(token: str) -> Order | None:
    """The order the token was made for, or None for a forged, altered or unknown one."""
    try:
        checkout_hex = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Order.objects.filter(checkout_id=checkout_hex).first() if len(checkout_hex) == 32 else None
