"""The double-entry ledger: a paid order books the cash and what each farmer is owed, the platform
fee is split over lines in whole fen, refunds take back exactly what was booked, and the books
always balance to the fen."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from graphql_relay import to_global_id

from payments import ledger, shopper_payments
from payments.models import Account, Entry, LedgerTransaction, PaymentStatus, Refund, RefundStatus
from shop.models import Order, OrderLine, OrderStatus
from tests import factories as f
from tests.shop.buying import place_order, two_farmer_order, variant

pytestmark = pytest.mark.django_db


def staff_confirms(order):
    return shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)


def fee_lines_order():
    """Farmer A sells two lines, farmer B one, every line ¥33.33 at 0.5 kg (parcels of ¥8 each)."""
    a1 = variant(price="33.33", weight_kg="0.5")
    farmer_a = a1.product.farmer
    a2 = variant(price="33.33", weight_kg="0.5", seller=farmer_a)
    b = variant(price="33.33", weight_kg="0.5")
    order = place_order([(a1, 1), (a2, 1), (b, 1)])
    return order, farmer_a, b.product.farmer


def odd_lines_order():
    """Line totals ¥33.33, ¥30.03 (3 × 10.01) and ¥6.93 (7 × 0.99): the fee does not split evenly."""
    a1 = variant(price="33.33", weight_kg="0.5", stock=10)
    farmer_a = a1.product.farmer
    a2 = variant(price="10.01", weight_kg="0.1", seller=farmer_a, stock=10)
    b = variant(price="0.99", weight_kg="0.1", stock=10)
    order = place_order([(a1, 1), (a2, 3), (b, 7)])
    return order, farmer_a, b.product.farmer


def goods_and_shipping(order, farmer) -> Decimal:
    return order.fulfilments.get(farmer=farmer).total


def line_fees(order, farmer=None) -> Decimal:
    lines = OrderLine.objects.filter(order=order, **({"farmer": farmer} if farmer else {}))
    return sum((line.platform_fee for line in lines), Decimal("0"))


def all_balances() -> dict[str, Decimal]:
    return {account.code: ledger.balance(account) for account in Account.objects.all()}


def assert_books_balance():
    """Every transaction sums to zero, so the whole ledger does."""
    assert list(ledger.unbalanced_transactions()) == []
    assert sum(all_balances().values(), Decimal("0")) == 0


# --- Booking a payment ------------------------------------------------------------------------------


def test_a_paid_two_farmer_order_books_cash_and_each_farmers_share():
    """Cash in equals the order total; each farmer is owed their goods and their parcel's shipping."""
    order, farmer_a, farmer_b, _va, _vb = two_farmer_order()
    assert ledger.owed_to(farmer_a) == 0  # nothing is owed before the money arrives

    staff_confirms(order)

    assert ledger.balance(ledger.cash_account("offline")) == order.total == Decimal("115.30")
    assert ledger.owed_to(farmer_a) == goods_and_shipping(order, farmer_a) == Decimal("79.80") + Decimal("15.00")
    assert ledger.owed_to(farmer_b) == goods_and_shipping(order, farmer_b) == Decimal("12.50") + Decimal("8.00")
    assert ledger.balance(ledger.fee_account()) == 0 and line_fees(order) == 0
    assert list(LedgerTransaction.objects.values_list("key", flat=True)) == [f"payment:{order.payment.pk}"]
    assert_books_balance()


def test_a_payment_recorded_twice_is_booked_once():
    """A webhook or an operator's click repeated: the ledger moves once."""
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    staff_confirms(order)
    entries = Entry.objects.count()

    assert shopper_payments.record_succeeded(order.payment.pk) is False
    ledger.book_payment(Order.objects.get().payment)

    assert Entry.objects.count() == entries
    assert ledger.owed_to(farmer_a) == goods_and_shipping(order, farmer_a)
    assert_books_balance()


@pytest.mark.parametrize(
    ("build", "expected_fees"),
    [
        (fee_lines_order, [Decimal("1.00"), Decimal("1.00"), Decimal("1.00")]),  # 3% of 99.99 = 3.00
        (odd_lines_order, [Decimal("1.00"), Decimal("0.90"), Decimal("0.21")]),  # 3% of 70.29 = 2.11
    ],
)
def test_platform_fee_is_split_over_lines_in_whole_fen(settings, build, expected_fees):
    """The fee is round(goods × 3%) in fen, split over lines by value (largest remainders get the
    odd fen); the farmers' payables carry it, and every fen is accounted for."""
    settings.PLATFORM_FEE_PERCENT = "3"
    order, farmer_a, farmer_b = build()
    staff_confirms(order)

    fee = (order.subtotal * Decimal("0.03")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    fees = list(OrderLine.objects.filter(order=order).order_by("pk").values_list("platform_fee", flat=True))
    assert fees == expected_fees and sum(fees) == fee
    assert ledger.balance(ledger.fee_account()) == -fee
    assert ledger.owed_to(farmer_a) == goods_and_shipping(order, farmer_a) - line_fees(order, farmer_a)
    assert ledger.owed_to(farmer_b) == goods_and_shipping(order, farmer_b) - line_fees(order, farmer_b)
    cash = ledger.balance(ledger.cash_account("offline"))
    assert cash == order.total == ledger.owed_to(farmer_a) + ledger.owed_to(farmer_b) + fee
    assert_books_balance()


# --- Refunds ------------------------------------------------------------------------------------------


def test_refunding_one_line_then_the_rest(settings):
    """A line refund takes its value less its fee from the farmer and its fee from the platform; a
    full refund afterwards brings every account back to zero."""
    settings.PLATFORM_FEE_PERCENT = "3"
    order, farmer_a, farmer_b = odd_lines_order()
    staff = f.staff_user()
    staff_confirms(order)
    line = OrderLine.objects.filter(order=order, farmer=farmer_a).order_by("pk").last()  # 3 × 10.01, fee 0.90
    owed_a, owed_b = ledger.owed_to(farmer_a), ledger.owed_to(farmer_b)
    fees = ledger.balance(ledger.fee_account())

    refund = shopper_payments.refund_payment(staff, order.payment, [line], reason="压坏了")

    assert (refund.status, refund.amount, refund.includes_shipping) == (RefundStatus.SUCCEEDED, line.total, False)
    assert ledger.owed_to(farmer_a) == owed_a - (Decimal("30.03") - Decimal("0.90"))
    assert ledger.owed_to(farmer_b) == owed_b
    assert ledger.balance(ledger.fee_account()) == fees + Decimal("0.90")
    assert ledger.balance(ledger.cash_account("offline")) == order.total - Decimal("30.03")
    payment = Order.objects.get().payment
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.SUCCEEDED, Decimal("30.03"))
    assert OrderLine.objects.get(pk=line.pk).refunded_at is not None

    with pytest.raises(ValidationError) as twice:
        shopper_payments.refund_payment(staff, payment, [OrderLine.objects.get(pk=line.pk)])
    assert twice.value.error_dict["lines"][0].code == "already_refunded"
    assert Refund.objects.count() == 1

    rest = shopper_payments.refund_payment(staff, payment)

    assert rest.includes_shipping and rest.amount == order.total - Decimal("30.03")
    assert ledger.owed_to(farmer_a) == 0 and ledger.owed_to(farmer_b) == 0
    assert set(all_balances().values()) == {Decimal("0")}
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, order.total)
    assert Order.objects.get().status == OrderStatus.REFUNDED
    assert_books_balance()


def test_refunding_a_line_twice_over_graphql(gql):
    order, _a, _b, _va, _vb = two_farmer_order()
    staff_confirms(order)
    line = order.lines.first()
    refund = """
    mutation($id: ID!, $lines: [ID!]) {
      orderRefund(id: $id, linesIds: $lines) { refund { amount status } errors { field code message } }
    }"""
    variables = {"id": to_global_id("Order", order.pk), "lines": [to_global_id("OrderLine", line.pk)]}
    gql.login(f.staff_user())

    first = gql(refund, variables)["data"]["orderRefund"]
    second = gql(refund, variables)["data"]["orderRefund"]

    assert first == {"refund": {"amount": str(line.total), "status": "SUCCEEDED"}, "errors": []}
    assert second["refund"] is None
    assert [e["code"] for e in second["errors"]] == ["ALREADY_REFUNDED"]
    assert Refund.objects.count() == 1
    assert_books_balance()


def test_refund_errors_name_the_lines_ids_argument(gql):
    """`errors[].field` names the input at fault, so a client can point at it: here `linesIds`."""
    order, _a, _b, _va, _vb = two_farmer_order()
    staff_confirms(order)
    other = two_farmer_order()[0]
    result = gql.login(f.staff_user())(
        "mutation($id: ID!, $lines: [ID!]) { orderRefund(id: $id, linesIds: $lines) { errors { field code } } }",
        {"id": to_global_id("Order", order.pk), "lines": [to_global_id("OrderLine", other.lines.first().pk)]},
    )
    assert result["data"]["orderRefund"]["errors"] == [{"field": "linesIds", "code": "INVALID"}]


def test_only_operators_refund():
    order, farmer_a, _b, _va, _vb = two_farmer_order(user=f.user())
    staff_confirms(order)
    before = all_balances()

    for actor in (order.user, farmer_a.user, f.user()):
        with pytest.raises(PermissionDenied):
            shopper_payments.refund_payment(actor, order.payment, list(order.lines.all()))
        with pytest.raises(PermissionDenied):
            shopper_payments.refund_payment(actor, order.payment)

    assert not Refund.objects.exists() and all_balances() == before
    assert Order.objects.get().payment.refunded_amount == 0


def test_an_unpaid_order_cannot_be_refunded():
    order, _a, _b, _va, _vb = two_farmer_order()
    with pytest.raises(ValidationError) as refused:
        shopper_payments.refund_payment(f.staff_user(), order.payment)
    assert refused.value.code == "not_paid"
    assert not Refund.objects.exists() and not LedgerTransaction.objects.exists()


# --- Posting --------------------------------------------------------------------------------------


@pytest.fixture
def accounts():
    return ledger.cash_account("offline"), ledger.fee_account(), ledger.payable_account(f.farmer())


def test_post_refuses_an_unbalanced_transaction(accounts):
    cash, _fees, payable = accounts
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("t:1", "off by a fen", [(cash, Decimal("10.00")), (payable, Decimal("-9.99"))])
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("t:2", "one-sided", [(cash, Decimal("10.00"))])
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("t:3", "nothing", [(cash, Decimal("5.00")), (cash, Decimal("-5.00"))])
    assert not LedgerTransaction.objects.exists() and not Entry.objects.exists()


@pytest.mark.parametrize("amount", [10.0, Decimal("10.005"), Decimal("0.001"), 10, "10.00", Decimal("NaN")])
def test_post_refuses_amounts_that_are_not_fen(accounts, amount):
    """Floats cannot hold fen exactly, and a third decimal place is not money."""
    cash, _fees, payable = accounts
    negative = -amount if not isinstance(amount, str) else "-10.00"
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.post("t:float", "bad amount", [(cash, amount), (payable, negative)])
    assert not LedgerTransaction.objects.exists() and not Entry.objects.exists()


def test_posting_the_same_key_twice_books_once(accounts):
    cash, fees, payable = accounts
    entries = [(cash, Decimal("10.00")), (payable, Decimal("-9.70")), (fees, Decimal("-0.30"))]
    first = ledger.post("order:7", "paid", entries)
    again = ledger.post("order:7", "paid again", entries)

    assert again.pk == first.pk and LedgerTransaction.objects.count() == 1
    assert ledger.balance(cash) == Decimal("10.00") and ledger.owed_to(payable.farmer) == Decimal("9.70")
    assert_books_balance()


def test_entries_to_one_account_are_merged(accounts):
    cash, _fees, payable = accounts
    booked = ledger.post(
        "merge",
        "merged",
        [(cash, Decimal("4.00")), (cash, Decimal("6.00")), (payable, Decimal("-10.00"))],
    )
    assert sorted(booked.entries.values_list("amount", flat=True)) == [Decimal("-10.00"), Decimal("10.00")]


# --- Exact sums (SQLite adds decimals as floats) --------------------------------------------------


def test_balances_are_exact_to_the_fen(accounts):
    """2.39 + 0.38 − 2.77 is exactly 0 in fen; a float sum says 4.4e-16."""
    _cash, fees, payable = accounts
    other = ledger.payable_account(f.farmer())
    ledger.post("fee", "fee", [(fees, Decimal("-2.77")), (payable, Decimal("2.39")), (other, Decimal("0.38"))])
    ledger.post("back", "fee back", [(fees, Decimal("2.77")), (payable, Decimal("-2.39")), (other, Decimal("-0.38"))])

    assert list(ledger.unbalanced_transactions()) == []
    assert ledger.balance(fees) == 0 and ledger.owed_to(payable.farmer) == 0 and ledger.owed_to(other.farmer) == 0


# --- The detector the suite-wide guard relies on ------------------------------------------------


class _Discarded(Exception):
    """Raised to roll back the bad rows a test wrote on purpose."""


def test_unbalanced_transactions_finds_a_single_entry_and_an_unbalanced_transaction():
    """`unbalanced_transactions()` is what conftest's guard asserts empty after every test: it must
    name a transaction of one entry, one whose entries miss zero by a fen, and one with no entries
    at all, and pass a balanced one. The rows are written directly, as a bug bypassing
    `ledger.post` would write them, inside a savepoint rolled back before the guard runs (the
    ledger's rows cannot be deleted)."""
    cash, fees = ledger.cash_account("offline"), ledger.fee_account()
    with pytest.raises(_Discarded), transaction.atomic():
        balanced = LedgerTransaction.objects.create(key="test:balanced", memo="")
        Entry.objects.bulk_create(
            [
                Entry(transaction=balanced, account=cash, amount=Decimal("10.00")),
                Entry(transaction=balanced, account=fees, amount=Decimal("-10.00")),
            ]
        )
        assert not ledger.unbalanced_transactions().exists()
        single = LedgerTransaction.objects.create(key="test:single", memo="")
        Entry.objects.create(transaction=single, account=cash, amount=Decimal("10.00"))
        off_by_a_fen = LedgerTransaction.objects.create(key="test:off-by-a-fen", memo="")
        Entry.objects.bulk_create(
            [
                Entry(transaction=off_by_a_fen, account=cash, amount=Decimal("10.00")),
                Entry(transaction=off_by_a_fen, account=fees, amount=Decimal("-9.99")),
            ]
        )
        LedgerTransaction.objects.create(key="test:empty", memo="")

        found = set(ledger.unbalanced_transactions().values_list("key", flat=True))
        raise _Discarded

    assert found == {"test:single", "test:off-by-a-fen", "test:empty"}
    assert not LedgerTransaction.objects.filter(key__startswith="test:").exists()
