"""Money is Decimal CNY with two places at rest; rounding is always explicit."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
CURRENCY = "CNY"


def parse_amount(value) -> Decimal:
    """Parse a price the way a person writes it; reject floats, which cannot hold fen exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount


def has_at_most_two_places(amount: Decimal) -> bool:
    try:
        return amount == amount.quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too many digits to quantize (1e26): not an amount of money anyway
        return False


def to_fen(amount: Decimal) -> int:
    return int((amount.quantize(FEN, rounding=ROUND_HALF_UP) * 100).to_integral_value())
