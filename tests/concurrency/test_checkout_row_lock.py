"""The checkout row lock of `shop.checkout` (completion), which the order's unique `checkout_id`
would otherwise hide: one checkout completed several times at once, when its lines take all the
stock that is left. With the lock, the later completions wait, find the checkout completed and
return its order; without it, each goes on to take the stock again, finds none left and answers
"not enough in stock" for an order that was in fact placed (the unique constraint only stops the
second order when there was stock enough for it)."""

import pytest
from django.core.exceptions import ValidationError

from shop import checkout as service
from shop.models import Order, Variant
from tests.concurrency.threads import run_together
from tests.shop.buying import ready_checkout, shipping_method, variant

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(60)]

ROUNDS = 5


def _placed_or_code(checkout):
    try:
        placed = service.place_order(None, checkout, "offline")
    except ValidationError as error:
        (code,) = {e.code for errors in error.error_dict.values() for e in errors}
        return code
    return placed.order.pk, placed.new


@pytest.mark.parametrize("presses", [2, 4])
def test_completing_one_checkout_at_once_for_the_last_units_returns_its_one_order(
    require_postgres, transactional_db, presses
):
    method = shipping_method()
    for _ in range(ROUNDS):
        last_three = variant(price="39.90", stock=3, weight_kg="2.5")
        checkout = ready_checkout([(last_three, 3)], method=method)

        results = run_together([lambda checkout=checkout: _placed_or_code(checkout)] * presses)

        order = Order.objects.get(checkout_id=checkout.pk)
        assert sorted(results, key=lambda result: not result[1]) == [(order.pk, True)] + [(order.pk, False)] * (
            presses - 1
        )
        assert Variant.objects.get(pk=last_three.pk).stock == 0
        assert order.lines.get().quantity == 3
