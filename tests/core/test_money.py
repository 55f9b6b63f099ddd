"""core.money.allocate splits an amount in whole fen so the parts add up to it exactly: how the
platform fee is spread over order lines without losing or inventing a fen."""

import random
from decimal import Decimal

import pytest

from core.money import allocate

FEN = Decimal("0.01")


def test_parts_always_sum_to_the_amount():
    """Many random amounts and weights (fixed seed): the sum is exact, every part is whole fen,
    within one fen of its exact share, and a zero weight gets nothing."""
    rng = random.Random(20261121)
    for _ in range(2000):
        amount = Decimal(rng.randint(0, 10_000_000)) / 100
        weights = [Decimal(rng.randint(0, 100_000)) / 100 for _ in range(rng.randint(1, 12))]
        if sum(weights) == 0:
            weights[0] = Decimal("0.01")
        parts = allocate(amount, weights)

        assert len(parts) == len(weights)
        assert sum(parts) == amount, (amount, weights, parts)
        total = sum(weights)
        for part, weight in zip(parts, weights, strict=True):
            assert part >= 0 and part == part.quantize(FEN)
            assert abs(part - amount * weight / total) < FEN
            if weight == 0:
                assert part == 0


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        ("1.00", [1, 2], ["0.33", "0.67"]),  # remainders .33 and .67: the fen goes to the larger
        ("0.10", [1, 1, 1], ["0.04", "0.03", "0.03"]),  # equal remainders: the earliest wins
        ("0.02", [1, 1, 1], ["0.01", "0.01", "0.00"]),
        ("2.11", ["33.33", "30.03", "6.93"], ["1.00", "0.90", "0.21"]),  # remainders .05 .15 .80
        ("3.00", ["33.33", "33.33", "33.33"], ["1.00", "1.00", "1.00"]),
        ("0.05", [0, 1, 0], ["0.00", "0.05", "0.00"]),
        ("0", [1, 2], ["0", "0"]),
        ("7.00", [5], ["7.00"]),
    ],
)
def test_largest_remainders_get_the_extra_fen(amount, weights, expected):
    parts = allocate(Decimal(amount), [Decimal(str(weight)) for weight in weights])
    assert parts == [Decimal(part) for part in expected]


@pytest.mark.parametrize("amount", ["-0.01", "-5", "1.005", "0.001", "12.345"])
def test_refuses_negative_or_fractional_fen_amounts(amount):
    with pytest.raises(ValueError, match="fen"):
        allocate(Decimal(amount), [Decimal("1"), Decimal("1")])


@pytest.mark.parametrize("weights", [[], [0], [0, 0, 0], [Decimal("-1"), Decimal("2")], [Decimal("0.00")]])
def test_refuses_weights_without_a_positive_sum_or_with_a_negative(weights):
    with pytest.raises(ValueError, match="weights"):
        allocate(Decimal("1.00"), weights)
