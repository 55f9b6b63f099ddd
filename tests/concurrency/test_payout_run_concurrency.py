"""Two payout runs at the same moment, on PostgreSQL with committed rows and one connection per
thread: each seller is paid once (the payable account's row lock serializes them per seller)."""

from decimal import Decimal

import pytest

from payments import ledger, payouts
from payments.models import Payout
from tests.concurrency.threads import run_together
from tests.payments.test_payouts import paid_and_delivered
from tests.shop.buying import two_farmer_order

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

ROUNDS = 4


@pytest.fixture
def committed(require_postgres, transactional_db, settings):
    settings.PAYOUT_MINIMUM = "10.00"


def test_two_runs_at_once_pay_each_seller_once(committed):
    sellers = []
    for _ in range(ROUNDS):
        order, farmer_a, farmer_b, _va, _vb = two_farmer_order()
        paid_and_delivered(order)
        sellers += [farmer_a, farmer_b]

    first, second = run_together([payouts.run, payouts.run])

    assert len(first) + len(second) == len(sellers) == Payout.objects.count()
    assert sorted(p.farmer_id for p in Payout.objects.all()) == sorted(s.pk for s in sellers)
    assert all(ledger.owed_to(seller) == Decimal("0") for seller in sellers)
    assert list(ledger.unbalanced_transactions()) == []
