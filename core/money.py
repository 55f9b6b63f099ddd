"""Money is Decimal CNY with two places at rest; rounding is always explicit."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import field_error

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


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `amount` in whole fen in proportion to `weights`, so the parts add up to it exactly.

    Each part is first rounded down; the fen left over go one each to the parts with the largest
    remainders (ties to the earliest), the largest-remainder method. Weights must be non-negative
    with a positive sum."""
    fen = to_fen(amount)
    if fen < 0 or fen != amount * 100:
        raise ValueError(f"not a non-negative whole number of fen: {amount}")
    total_weight = sum(weights)
    if not weights or total_weight <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    exact = [Decimal(fen) * weight / total_weight for weight in weights]
    parts = [int(share) for share in exact]  # rounds toward zero: fen is never negative here
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: fen - sum(parts)]:
        parts[i] += 1
    return [Decimal(part) / 100 for part in parts]


@dataclass(frozen=True)
class AmountWords:
    """What a form says about an amount it refuses, in the words of its page (a price, a bid)."""

    invalid: str
    too_small: str
    too_large: str
    too_precise: str


def clean_amount(value, field: str, *, maximum: Decimal, code: str, words: AmountWords) -> Decimal:
    """An amount of yuan from 0.01 to `maximum` with at most two places, never a float; refused
    with `words` under `code`, keyed by `field`."""
    try:
        amount = parse_amount(value)
    except (TypeError, ValueError):
        raise field_error(field, words.invalid, code) from None
    if amount < FEN:
        raise field_error(field, words.too_small, code)
    if amount > maximum:
        raise field_error(field, words.too_large, code)
    if not has_at_most_two_places(amount):
        raise field_error(field, words.too_precise, code)
    return amount.quantize(FEN)
