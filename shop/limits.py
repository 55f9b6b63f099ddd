"""The largest price and quantities the shop accepts, derived from the columns that hold their
totals, so that every total of an order fits its column: an order of the most lines, each of the
most units at the highest price, plus shipping, still fits `Order.total` (and `Payment.amount`,
`OrderLine.total`, `Fulfilment.subtotal`, `Payout.amount`, all 12 digits with 2 places).

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
