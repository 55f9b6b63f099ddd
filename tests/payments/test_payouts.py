"""Payouts: a seller is paid the ledger's money of parcels delivered past the hold period, once it
reaches the minimum; refunds are netted, a refund still pending holds its order back; a run
repeated or stopped half-way pays nobody twice and nobody by half; a failed payout gives the money
back to the payable."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from payments import ledger, payouts, shopper_payments
from payments.gateways.base import RefundOutcome
from payments.gateways.offline import OfflineGateway
from payments.models import Entry, LedgerTransaction, Payout, PayoutStatus, RefundStatus
from shop.models import Fulfilment
from shop.orders import deliver_fulfilment, ship_fulfilment
from tests import factories as f
from tests.shop.buying import place_order, two_farmer_order, variant

pytestmark = pytest.mark.django_db

# two_farmer_order: farmer A is owed 2 × 39.90 + 15.00 shipping, farmer B 12.50 + 8.00.
A_OWED = Decimal("94.80")
B_OWED = Decimal("20.50")


def paid_and_delivered(order, days_ago=8, operator=None):
    """The order paid (offline, confirmed by an operator), every parcel shipped and delivered, the
    delivery dated `days_ago` days back."""
    shopper_payments.confirm_offline_payment(operator or f.staff_user(), order.payment)
    for fulfilment in order.fulfilments.select_related("farmer__user"):
        ship_fulfilment(fulfilment.farmer.user, fulfilment, "顺丰", f"SF{fulfilment.pk:010d}")
        deliver_fulfilment(fulfilment.farmer.user, fulfilment)
    Fulfilment.objects.filter(order=order).update(delivered_at=timezone.now() - timedelta(days=days_ago))
    return order


def in_transit() -> Decimal:
    return -ledger.balance(ledger.payouts_in_transit_account())


def assert_books_balance():
    assert list(ledger.unbalanced_transactions()) == []
    assert sum((ledger.balance(a) for a in ledger.Account.objects.all()), Decimal("0")) == 0


# --- Who is paid, and how much ------------------------------------------------------------------


def test_only_parcels_delivered_past_the_hold_period_are_paid(settings):
    settings.PAYOUT_HOLD_DAYS = 7
    settings.PAYOUT_MINIMUM = "10.00"
    old, farmer_a, farmer_b, va, _vb = two_farmer_order()
    paid_and_delivered(old, days_ago=8)
    recent = place_order([(va, 1)])  # farmer A again: 39.90 + 15.00 (2.5 kg parcel)
    paid_and_delivered(recent, days_ago=6)
    shipped_only = place_order([(va, 1)])
    shopper_payments.confirm_offline_payment(f.staff_user(), shipped_only.payment)

    made = payouts.run()

    assert {(p.farmer, p.amount) for p in made} == {(farmer_a, A_OWED), (farmer_b, B_OWED)}
    # The recent and the undelivered orders stay owed, for a later run.
    assert ledger.owed_to(farmer_a) == recent.total + shipped_only.total
    assert in_transit() == A_OWED + B_OWED
    # A week later the recent order is past the hold too (the undelivered one still is not).
    later = payouts.run(now=timezone.now() + timedelta(days=2))
    assert [(p.farmer, p.amount, p.sequence) for p in later] == [(farmer_a, recent.total, 2)]
    assert ledger.owed_to(farmer_a) == shipped_only.total
    assert_books_balance()


def test_a_seller_owed_less_than_the_minimum_waits(settings):
    order, farmer_a, farmer_b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)

    settings.PAYOUT_MINIMUM = "50.00"
    assert [p.farmer for p in payouts.run()] == [farmer_a]
    assert ledger.owed_to(farmer_b) == B_OWED and not Payout.objects.filter(farmer=farmer_b).exists()

    settings.PAYOUT_MINIMUM = str(B_OWED)  # exactly the minimum is enough
    assert [(p.farmer, p.amount) for p in payouts.run()] == [(farmer_b, B_OWED)]
    assert ledger.owed_to(farmer_b) == 0


def test_refunded_lines_are_not_paid_out(settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    settings.PAYOUT_MINIMUM = "1.00"
    kept = variant(price="60.00", weight_kg="0.5")
    farmer = kept.product.farmer
    refunded = variant(price="40.00", weight_kg="0.5", seller=farmer)
    order = paid_and_delivered(place_order([(kept, 1), (refunded, 1)]))
    line = order.lines.get(variant=refunded)
    shopper_payments.refund_payment(f.staff_user(), order.payment, lines=[line])

    (payout,) = payouts.run()

    shipping = order.fulfilments.get().shipping_price
    fee_on_kept = order.lines.get(variant=kept).platform_fee
    assert fee_on_kept == Decimal("1.80")
    assert payout.amount == Decimal("60.00") + shipping - fee_on_kept
    assert ledger.owed_to(farmer) == 0
    assert_books_balance()


def test_an_order_with_a_refund_still_pending_is_held_back(settings, monkeypatch):
    """The gateway has not confirmed the refund yet: none of that order's money goes out."""
    settings.PAYOUT_MINIMUM = "10.00"
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    monkeypatch.setattr(OfflineGateway, "refund", lambda self, refund: RefundOutcome(RefundStatus.PENDING))
    refund = shopper_payments.refund_payment(f.staff_user(), order.payment, lines=[order.lines.get(farmer=farmer_a)])
    assert refund.status == RefundStatus.PENDING

    assert payouts.run() == []
    assert payouts.due_payouts() == []

    shopper_payments.finish_refund(refund.pk, RefundStatus.FAILED)  # the refund fell through
    assert {p.farmer: p.amount for p in payouts.run()}[farmer_a] == A_OWED


def test_a_refund_after_a_payout_is_taken_from_the_next_one(settings):
    """The first order was paid out, then refunded: the seller owes it back, so the second order's
    money first makes up for it and nothing more is paid than the payable holds."""
    settings.PAYOUT_MINIMUM = "10.00"
    first = variant(price="80.00", weight_kg="0.5", stock=5)
    farmer = first.product.farmer
    order1 = paid_and_delivered(place_order([(first, 1)]))
    (payout1,) = payouts.run()
    assert payout1.amount == order1.total
    shopper_payments.refund_payment(f.staff_user(), order1.payment)
    assert ledger.owed_to(farmer) == -order1.total

    order2 = paid_and_delivered(place_order([(first, 1)]))
    assert payouts.run() == []  # order2's money only brings the payable back to zero
    assert ledger.owed_to(farmer) == order2.total - order1.total == 0
    assert_books_balance()


def test_a_cooperative_is_paid_for_its_parcels(settings):
    settings.PAYOUT_MINIMUM = "10.00"
    manager = f.user()
    coop = f.cooperative(manager=manager)
    goods = variant(price="45.00", weight_kg="0.5", seller=coop)
    order = place_order([(goods, 2)])
    shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)
    fulfilment = order.fulfilments.get()
    ship_fulfilment(manager, fulfilment, "邮政", "EMS1234567")
    deliver_fulfilment(manager, fulfilment)
    Fulfilment.objects.filter(pk=fulfilment.pk).update(delivered_at=timezone.now() - timedelta(days=8))

    (payout,) = payouts.run()

    assert (payout.cooperative, payout.farmer, payout.amount) == (coop, None, order.total)
    assert ledger.owed_to(coop) == 0


# --- What is due, read in one grouped query -------------------------------------------------------


def sellers_with_money_due(count):
    """`count` orders of two farmers each, paid and delivered past the hold: 2 × count sellers."""
    sellers = []
    for _ in range(count):
        order, farmer_a, farmer_b, _va, _vb = two_farmer_order()
        paid_and_delivered(order)
        sellers += [farmer_a, farmer_b]
    return sellers


@pytest.mark.parametrize("orders", [1, 8])
def test_what_is_due_is_read_in_the_same_queries_however_many_sellers(settings, orders, django_assert_num_queries):
    """The grouped sum and the accounts: two queries, for 2 sellers as for 16 (no query per seller)."""
    settings.PAYOUT_MINIMUM = "10.00"
    sellers = sellers_with_money_due(orders)

    with django_assert_num_queries(2):
        due = payouts.due_payouts()
        amounts = {d.account.farmer_id: d.amount for d in due}
        [d.seller for d in due]  # the sellers come with the accounts

    assert amounts == {s.pk: A_OWED if i % 2 == 0 else B_OWED for i, s in enumerate(sellers)}


def test_the_grouped_read_agrees_with_each_sellers_own_read(settings, monkeypatch):
    """Fees, a refunded line, a refund pending, a cooperative, an undelivered order, one seller
    under the minimum: the grouped sums are exactly what each seller's re-read under the lock finds."""
    settings.PLATFORM_FEE_PERCENT = "3"
    settings.PAYOUT_MINIMUM = "30.00"
    a1, _b1, a2, _b2 = sellers_with_money_due(2)  # farmer B's 20.50 less the fee is under the minimum
    kept = variant(price="60.00", weight_kg="0.5")
    refunded = variant(price="40.00", weight_kg="0.5", seller=kept.product.farmer)
    order = paid_and_delivered(place_order([(kept, 1), (refunded, 1)]))
    shopper_payments.refund_payment(f.staff_user(), order.payment, lines=[order.lines.get(variant=refunded)])
    coop = f.cooperative(manager=f.user())
    paid_and_delivered_coop = place_order([(variant(price="45.00", weight_kg="0.5", seller=coop), 2)])
    shopper_payments.confirm_offline_payment(f.staff_user(), paid_and_delivered_coop.payment)
    Fulfilment.objects.filter(order=paid_and_delivered_coop).update(
        status="delivered", delivered_at=timezone.now() - timedelta(days=9)
    )
    held = paid_and_delivered(place_order([(variant(price="99.00", weight_kg="0.5"), 1)]))
    monkeypatch.setattr(OfflineGateway, "refund", lambda self, refund: RefundOutcome(RefundStatus.PENDING))
    shopper_payments.refund_payment(f.staff_user(), held.payment, lines=[held.lines.get()])
    shopper_payments.confirm_offline_payment(f.staff_user(), place_order([(variant(price="70.00"), 1)]).payment)

    cutoff = payouts.hold_cutoff()
    grouped = {d.account: d.amount for d in payouts.due_payouts()}
    one_by_one = {
        account: due.amount
        for account in ledger.Account.objects.filter(kind="liability")
        if (due := payouts._due(account, cutoff)) is not None
    }

    assert grouped == one_by_one
    fee_a = Decimal("2.39")  # 3 % of 79.80, to the fen
    assert grouped == {
        ledger.payable_account(a1): A_OWED - fee_a,
        ledger.payable_account(a2): A_OWED - fee_a,
        ledger.payable_account(kept.product.farmer): Decimal("60.00") + Decimal("8.00") - Decimal("1.80"),
        ledger.payable_account(coop): Decimal("90.00") + Decimal("8.00") - Decimal("2.70"),
    }


# --- Once, and all or nothing ---------------------------------------------------------------------


def test_a_run_twice_is_a_run_once():
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    first = payouts.run()
    entries, transactions = Entry.objects.count(), LedgerTransaction.objects.count()

    assert payouts.run() == []
    assert Payout.objects.count() == len(first) == 1
    assert (Entry.objects.count(), LedgerTransaction.objects.count()) == (entries, transactions)
    (payout,) = first
    assert payout.idempotency_key == f"shanhuo-payout-{payout.account_id}-1"
    assert set(payout.settled_entries.values_list("account_id", flat=True)) == {payout.account_id}
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == A_OWED


def test_a_run_stopped_half_way_leaves_no_half_payout(settings, monkeypatch):
    """The second seller's booking fails (as if the process died there): the first seller's
    payout stands whole, the second has no payout, no marked entries and no booking; the next run
    pays them."""
    settings.PAYOUT_MINIMUM = "10.00"
    order, farmer_a, farmer_b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    real_post = ledger.post
    booked = []

    def post_then_die(key, *args, **kwargs):
        if key.startswith("payout:") and booked:
            raise KeyboardInterrupt("killed")
        result = real_post(key, *args, **kwargs)
        booked.append(key)
        return result

    monkeypatch.setattr(ledger, "post", post_then_die)
    with pytest.raises(KeyboardInterrupt):
        payouts.run()

    (survivor,) = Payout.objects.all()
    unpaid = farmer_b if survivor.farmer == farmer_a else farmer_a
    assert LedgerTransaction.objects.filter(key=f"payout:{survivor.pk}").exists()
    assert ledger.owed_to(survivor.farmer) == 0
    assert not Entry.objects.filter(account=ledger.payable_account(unpaid), payout__isnull=False).exists()
    assert ledger.owed_to(unpaid) == {farmer_a: A_OWED, farmer_b: B_OWED}[unpaid]

    monkeypatch.setattr(ledger, "post", real_post)
    assert [p.farmer for p in payouts.run()] == [unpaid]
    assert ledger.owed_to(farmer_a) == ledger.owed_to(farmer_b) == 0
    assert_books_balance()


# --- Paid or failed -------------------------------------------------------------------------------


def test_a_payout_recorded_paid_leaves_through_the_bank():
    operator = f.payout_operator()
    order, _farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order, operator=operator)
    (payout,) = payouts.run()
    cash_before = ledger.balance(ledger.cash_account("offline"))

    payouts.mark_paid(operator, payout, "  ABC-2024-0001 ")
    payouts.mark_paid(operator, payout, "ABC-2024-0001")  # repeated: nothing changes

    payout.refresh_from_db()
    assert (payout.status, payout.reference, payout.recorded_by) == (PayoutStatus.PAID, "ABC-2024-0001", operator)
    assert payout.paid_at is not None
    assert in_transit() == 0
    assert ledger.balance(ledger.cash_account("offline")) == cash_before - A_OWED
    assert LedgerTransaction.objects.filter(key__startswith="payout-paid:").count() == 1
    with pytest.raises(ValidationError) as error:
        payouts.mark_failed(operator, payout, "bounced")
    assert error.value.code == "already_settled"
    assert_books_balance()


def test_only_an_operator_records_a_payout_and_with_a_reference():
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    (payout,) = payouts.run()

    with pytest.raises(PermissionDenied):
        payouts.mark_paid(farmer_a.user, payout, "ABC")
    with pytest.raises(PermissionDenied):
        payouts.mark_failed(farmer_a.user, payout)
    with pytest.raises(ValidationError) as error:
        payouts.mark_paid(f.payout_operator(), payout, "   ")
    assert error.value.error_dict["reference"][0].code == "required"
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and in_transit() == A_OWED


def test_a_failed_payout_gives_the_money_back_and_the_next_run_pays_it():
    operator = f.payout_operator()
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order, operator=operator)
    (payout,) = payouts.run()
    assert ledger.owed_to(farmer_a) == 0

    payouts.mark_failed(operator, payout, "account closed")

    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == (PayoutStatus.FAILED, "account closed")
    assert ledger.owed_to(farmer_a) == A_OWED and in_transit() == 0
    assert not payout.settled_entries.exists()
    with pytest.raises(ValidationError):
        payouts.mark_paid(operator, payout, "ABC")

    (again,) = payouts.run()
    assert (again.farmer, again.amount, again.sequence) == (farmer_a, A_OWED, 2)
    assert again.idempotency_key != payout.idempotency_key
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == A_OWED
    assert_books_balance()


# --- The command ----------------------------------------------------------------------------------


def test_payouts_run_command_dry_run_changes_nothing(capsys):
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    code = ledger.payable_account(farmer_a).code

    call_command("payouts_run", "--dry-run")
    out = capsys.readouterr().out
    assert f"Would pay {A_OWED} CNY to {code}" in out and "Would pay 1 sellers" in out
    assert not Payout.objects.exists() and ledger.owed_to(farmer_a) == A_OWED

    call_command("payouts_run")
    out = capsys.readouterr().out
    assert f"Sent (pending until recorded paid) {A_OWED} CNY to {code}" in out
    assert Payout.objects.get().amount == A_OWED and ledger.owed_to(farmer_a) == 0
