"""Provenance: who grew the goods, where, when, and how much of the price reaches them.

The farmer's share is the price less the platform's fee, and that fee is `payments.ledger.platform_fee`,
the very function the ledger books: what a shopper is told here is what the ledger will record.

Each order line has a public page, reached by a signed token of its ID (printed as a QR code on the
seller's parcel slip, linked from the shopper's order). The page shows the goods and where they come
from, never a person's data: no shopper name, address or phone, no farmer phone, ID number or GPS."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core import signing

from payments.ledger import platform_fee

from .models import OrderLine

SIGNING_SALT = "shop.provenance.line"  # keeps these signatures apart from every other use of SECRET_KEY
PERCENT_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class FarmerShare:
    """Of `price` (what the shopper pays for the goods), `fee` goes to the platform and `farmer` to
    the farmer or cooperative."""

    price: Decimal
    fee: Decimal
    farmer: Decimal

    @property
    def percent(self) -> Decimal:
        """The farmer's part in percent, to one decimal place, rounded down: never more than the
        truth (37.91 of 39.90 is 95.0, not 95.01)."""
        if self.price <= 0:
            return Decimal("100.0")
        return (self.farmer * 100 / self.price).quantize(PERCENT_PLACES, rounding=ROUND_DOWN)


def farmer_share(price: Decimal) -> FarmerShare:
    """What reaches the farmer when goods sell at `price`, by the current fee setting."""
    fee = platform_fee(price)
    return FarmerShare(price=price, fee=fee, farmer=price - fee)


def line_share(line: OrderLine) -> FarmerShare:
    """The farmer's share of one order line's goods (`line.total`, unit price × quantity).

    Once the order is paid the ledger has fixed the line's fee (`platform_fee`, the order's fee split
    over its lines in whole fen, so it may differ by a fen from the fee on the line alone): that
    booked fee is what the farmer really gives up. Before payment, or when no fee was booked, the fee
    is computed on the line's goods by the same rule."""
    if line.order.paid_at is not None and line.platform_fee > 0:
        return FarmerShare(price=line.total, fee=line.platform_fee, farmer=line.total - line.platform_fee)
    return farmer_share(line.total)


# --- The public page of a line ------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=SIGNING_SALT)


def provenance_token(line: OrderLine) -> str:
    """The line's ID in base 62, signed: short (about 47 characters) for a small QR code, and
    unforgeable, so no one can walk through other people's order lines."""
    return _signer().sign(signing.b62_encode(line.pk))


def line_for_token(token: str) -> OrderLine | None:
    """The line a token names, with what its page shows; None for a forged or unknown token."""
    try:
        pk = signing.b62_decode(_signer().unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return (
        OrderLine.objects.select_related("order", "village__county__province", "farmer__cooperative")
        .filter(pk=pk)
        .first()
    )
