"""The largest price and quantities the shop accepts, derived from the columns that hold their
totals, so that every total of an order fits its column: an order of the most lines, each of the
most units at the highest price, plus shipping, still fits `Order.total` (and `Payment.amount`,
`OrderLine.total`, `Fulfilment.subtotal`, `Payout.amount`, all 12 digits with 2 places). Shipping
stays within its allowance because a cart's weight and the operator's shipping table are bounded
too; a payout, a sum over any number of orders, is bounded by `payments.payouts.MAX_PAYOUT`.

Forms, the GraphQL API and the models all check against these names; nothing else holds a bound.
`tests/shop/test_limits.py` checks the columns against them."""

from decimal import ROUND_DOWN, Decimal

FEN = Decimal("0.01")


def largest(max_digits: int, decimal_places: int = 2) -> Decimal:
    """The largest value a DecimalField of these digits holds (12, 2: 9,999,999,999.99)."""
    return (Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)).quantize(
        Decimal(1).scaleb(-decimal_places)
    )


# The digits of the columns an order's amounts are kept in (orders, lines, parcels, payments, payouts).
ORDER_AMOUNT_DIGITS = 12
MAX_ORDER_AMOUNT = largest(ORDER_AMOUNT_DIGITS)

MAX_LINE_QUANTITY = 999
MAX_CHECKOUT_LINES = 50
# What shipping may add to an order at most: the room the price bound leaves (a parcel's shipping
# column, `Fulfilment.shipping_price`, holds 10 digits, but an order's total holds them all).
SHIPPING_ALLOWANCE = Decimal("9999999.99")

# 200,000.00 yuan: 50 lines x 999 units x this + the shipping allowance <= 9,999,999,999.99.
MAX_PRICE = ((MAX_ORDER_AMOUNT - SHIPPING_ALLOWANCE) / (MAX_CHECKOUT_LINES * MAX_LINE_QUANTITY)).quantize(
    FEN, rounding=ROUND_DOWN
)


# A cart weighs at most this (a seller's parcel too: `Fulfilment.weight_kg` holds 999,999.999).
# Unbounded, 50 lines x 999 units x 50 kg made a 2,497,500 kg parcel that no column (and no
# courier) takes; goods heavier than five tonnes go by freight arranged with the seller.
MAX_CART_WEIGHT_KG = Decimal("5000")
# The operator's table (`ShippingRate.price`, `ShippingMethod.extra_kg_price`). A parcel costs at
# most a bracket's price plus the per-kg price for each started kilogram, so a cart's shipping is
# at most lines x the bracket bound + (its weight + lines) x the per-kg bound: 5,550,000.00 here,
# within the allowance, whatever the table says when the order is placed.
MAX_SHIPPING_RATE_PRICE = Decimal("10000.00")
MAX_EXTRA_KG_PRICE = Decimal("1000.00")
MAX_SHIPPING_TOTAL = (
    MAX_CHECKOUT_LINES * MAX_SHIPPING_RATE_PRICE + (MAX_CART_WEIGHT_KG + MAX_CHECKOUT_LINES) * MAX_EXTRA_KG_PRICE
)
