"""A seller's statement (shop.earnings) on a known case: an order paid with one line refunded and
paid out, a second paid out and the payout failed, a third not delivered yet. Every figure is
checked by hand, and against the ledger's own sums on the seller's payable account."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import ledger, payouts, shopper_payments
from payments.models import Entry, PayoutStatus
from shop import earnings
from tests import factories as f
from tests.payments.test_payouts import paid_and_delivered
from tests.shop.buying import place_order, variant

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def known_case(settings):
    """Fee 3 %, minimum 10, hold 7 days. Farmer sells on the default shipping table:
    order 1: 60.00 + 40.00 goods (1 kg parcel: shipping 8.00), the 40.00 line refunded, paid out
             and the payout confirmed with a bank reference;
    order 2: 80.00 goods + 8.00 shipping, paid out, the payout failed;
    order 3: 50.00 goods + 8.00 shipping, paid, not shipped."""
    settings.PLATFORM_FEE_PERCENT = "3"
    settings.PAYOUT_MINIMUM = "10.00"
    settings.PAYOUT_HOLD_DAYS = 7
    operator = f.payout_operator()
    kept = variant(price="60.00", weight_kg="0.5", stock=10)
    farmer = kept.product.farmer
    refunded = variant(price="40.00", weight_kg="0.5", seller=farmer)
    second = variant(price="80.00", weight_kg="0.5", seller=farmer)
    third = variant(price="50.00", weight_kg="0.5", seller=farmer)

    order1 = paid_and_delivered(place_order([(kept, 1), (refunded, 1)]), operator=operator)
    shopper_payments.refund_payment(operator, order1.payment, lines=[order1.lines.get(variant=refunded)])
    (payout1,) = payouts.run()
    payouts.mark_paid(operator, payout1, "BANK-0001")

    order2 = paid_and_delivered(place_order([(second, 1)]), operator=operator)
    (payout2,) = payouts.run()
    payouts.mark_failed(operator, payout2, "账号不对")

    order3 = place_order([(third, 1)])
    shopper_payments.confirm_offline_payment(operator, order3.payment)
    return farmer, (order1, order2, order3), (payout1, payout2)


def test_each_parcel_shows_goods_shipping_fee_refund_and_what_it_paid(known_case):
    farmer, (order1, order2, order3), _payouts = known_case
    rows = {
        row.order_number: row.sales
        for row in map(earnings.parcel_earnings, earnings.with_earnings_relations(earnings.seller_parcels(farmer)))
    }

    # Order 1: fee 3 % of 100.00 = 3.00 split 1.80 / 1.20; the refunded line gives back 40.00 and its 1.20.
    assert rows[order1.number] == earnings.Sales(
        goods=D("100.00"), shipping=D("8.00"), fee=D("1.80"), refunded=D("40.00"), orders=1
    )
    assert rows[order1.number].earned == D("66.20")
    assert rows[order2.number].earned == D("80.00") + D("8.00") - D("2.40")
    assert rows[order3.number].earned == D("50.00") + D("8.00") - D("1.50")
    assert list(rows) == [order3.number, order2.number, order1.number]  # newest payment first


def test_totals_balance_and_payouts_agree_with_the_ledger(known_case):
    farmer, _orders, (payout1, payout2) = known_case
    totals = earnings.sales_totals(farmer)
    balance = earnings.balance(farmer)

    assert totals == earnings.Sales(
        goods=D("230.00"), shipping=D("24.00"), fee=D("5.70"), refunded=D("40.00"), orders=3
    )
    assert totals.earned == D("208.30")
    assert payout1.amount == D("66.20") and payout2.amount == D("85.60")
    # The failed payout's money is back in the payable, with order 3's, which waits for delivery;
    # order 2's, delivered 8 days ago, goes out again at the next run.
    assert balance == earnings.Balance(
        payable=D("85.60") + D("56.50"), due=D("85.60"), on_the_way=D("0.00"), paid_out=D("66.20")
    )
    assert balance.waiting == D("56.50")

    # The ledger: what the seller's orders booked on their payable is the statement's "earned", and
    # the payable is that less what was paid out, to the fen.
    account = ledger.payable_account(farmer)
    booked_for_orders = ledger.from_fen(
        Entry.objects.filter(account=account, transaction__order__isnull=False).aggregate(fen=ledger.fen_sum("amount"))[
            "fen"
        ]
    )
    assert -booked_for_orders == totals.earned
    assert ledger.owed_to(farmer) == totals.earned - balance.paid_out - balance.on_the_way == balance.payable


def test_a_payout_on_its_way_is_neither_payable_nor_paid(known_case):
    farmer, _orders, _payouts = known_case
    (again,) = payouts.run()
    balance = earnings.balance(farmer)
    assert again.status == PayoutStatus.PENDING
    assert (balance.payable, balance.due, balance.on_the_way, balance.paid_out) == (
        D("56.50"),
        D("0.00"),
        D("85.60"),
        D("66.20"),
    )
    assert ledger.owed_to(farmer) == earnings.sales_totals(farmer).earned - balance.paid_out - balance.on_the_way


def test_a_period_counts_the_orders_paid_in_it(known_case):
    farmer, (order1, _order2, _order3), _payouts = known_case
    today = timezone.localdate()
    from payments.models import Payment

    Payment.objects.filter(pk=order1.payment.pk).update(succeeded_at=timezone.now() - timedelta(days=40))
    this_month = earnings.sales_totals(farmer, earnings.Period(today - timedelta(days=10), today))
    assert (this_month.orders, this_month.goods, this_month.refunded) == (2, D("130.00"), D("0.00"))
    assert earnings.sales_totals(farmer, earnings.Period(today + timedelta(days=1), None)).orders == 0


def test_below_the_minimum_nothing_is_due(known_case, settings):
    farmer, _orders, _payouts = known_case
    settings.PAYOUT_MINIMUM = "100.00"
    balance = earnings.balance(farmer)
    assert balance.due == 0 and balance.waiting == balance.payable


def test_a_cooperative_manager_reads_each_members_sales(settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    manager = f.user()
    coop = f.cooperative(manager=manager)
    member_a = f.farmer(cooperative=coop, name="甲")
    member_b = f.farmer(cooperative=coop, name="乙")
    f.farmer(cooperative=coop, name="丙")  # sold nothing
    own = variant(price="30.00", weight_kg="0.5", seller=coop)
    a = variant(price="20.00", weight_kg="0.5", seller=member_a)
    b = variant(price="10.00", weight_kg="0.5", seller=member_b)
    order = place_order([(own, 1), (a, 2), (b, 1)])
    shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)

    by_member = {row.farmer.name: row.sales for row in earnings.members_sales(coop)}
    assert by_member["甲"].goods == D("40.00") and by_member["甲"].orders == 1
    assert by_member["乙"].goods == D("10.00")
    assert by_member["丙"] == earnings.Sales()
    assert by_member["甲"].earned == ledger.owed_to(member_a)
    assert earnings.sales_totals(coop).earned == ledger.owed_to(coop)
