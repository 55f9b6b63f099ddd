"""Disputes: only operators (or Stripe's signed webhook) open and close them; an open dispute holds
its order's money back from payouts; won, it is paid at the next run; lost, it is booked as a full
refund of what was left of the payment and never paid; both services, and Stripe's events, are
idempotent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from payments import disputes, ledger, payouts, shopper_payments
from payments.models import Dispute, DisputeStatus, LedgerTransaction, Payment
from tests import factories as f
from tests.shop.buying import place_order, two_farmer_order, variant

from .localstripe_server import WEBHOOK_SECRET, WEBHOOK_TOLERANCE
from .test_payouts import A_OWED, B_OWED, assert_books_balance, paid_and_delivered
from .test_stripe import ledger_state, make_event, outcome_of, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def payout_rules(settings):
    settings.PAYOUT_HOLD_DAYS = 7
    settings.PAYOUT_MINIMUM = "10.00"


def paid_by_both():
    """Farmer A's and farmer B's order, paid and delivered past the hold."""
    order, farmer_a, farmer_b, va, _vb = two_farmer_order()
    return paid_and_delivered(order), farmer_a, farmer_b, va


def paid_to(seller, made) -> list[Decimal]:
    return [p.amount for p in made if seller in (p.farmer, p.cooperative)]


def assert_reads_agree():
    """The grouped read of what is due and each seller's own re-read find the same money."""
    cutoff = payouts.hold_cutoff()
    grouped = {d.account: d.amount for d in payouts.due_payouts()}
    one_by_one = {
        account: due.amount
        for account in ledger.Account.objects.filter(kind="liability")
        if (due := payouts._due(account, cutoff)) is not None
    }
    assert grouped == one_by_one
    return grouped


# --- Who may ----------------------------------------------------------------------------------------


def test_only_operators_open_and_close_disputes():
    order, *_ = paid_by_both()
    for someone in (f.user(), f.farmer().user):
        with pytest.raises(PermissionDenied):
            disputes.open_dispute(someone, order.payment, "the shopper says the box was empty")
    assert not Dispute.objects.exists()

    dispute = disputes.open_dispute(f.staff_user(), order.payment, "the shopper says the box was empty")
    with pytest.raises(PermissionDenied):
        disputes.close_dispute(f.user(), dispute, DisputeStatus.LOST)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert not LedgerTransaction.objects.filter(key__startswith="dispute-lost:").exists()


def test_an_operators_dispute_needs_a_reason_a_paid_order_and_no_other_open_dispute():
    operator = f.staff_user()
    order, *_ = paid_by_both()
    with pytest.raises(ValidationError) as error:
        disputes.open_dispute(operator, order.payment, "  ")
    assert [e.code for e in error.value.error_dict["reason"]] == ["required"]
    with pytest.raises(ValidationError) as error:
        disputes.open_dispute(operator, order.payment, "too much", amount=order.total + Decimal("0.01"))
    assert [e.code for e in error.value.error_dict["amount"]] == ["invalid"]
    unpaid = place_order([(variant(price="20.00"), 1)])
    with pytest.raises(ValidationError) as error:
        disputes.open_dispute(operator, unpaid.payment, "never paid")
    assert error.value.code == "not_paid"

    dispute = disputes.open_dispute(operator, order.payment, "the box was empty")
    assert (dispute.amount, dispute.opened_by, dispute.provider_id) == (order.total, operator, "")
    with pytest.raises(ValidationError) as error:
        disputes.open_dispute(operator, order.payment, "again")
    assert error.value.code == "already_open"
    assert Dispute.objects.count() == 1
    with pytest.raises(ValidationError):
        disputes.close_dispute(operator, dispute, "maybe")


# --- Payouts ----------------------------------------------------------------------------------------


def test_a_disputed_order_is_held_back_and_paid_at_the_next_run_once_won():
    operator = f.staff_user()
    order, farmer_a, farmer_b, va = paid_by_both()
    other = paid_and_delivered(place_order([(va, 1)]))  # farmer A again: 39.90 + 15.00, not disputed
    dispute = disputes.open_dispute(operator, order.payment, "not received")

    assert assert_reads_agree() == {ledger.payable_account(farmer_a): other.total}
    made = payouts.run()
    assert paid_to(farmer_a, made) == [other.total]
    assert paid_to(farmer_b, made) == []
    assert ledger.owed_to(farmer_b) == B_OWED

    won = disputes.close_dispute(operator, dispute, DisputeStatus.WON)
    assert (won.status, won.closed_by) == (DisputeStatus.WON, operator)
    assert won.closed_at is not None
    assert assert_reads_agree() == {ledger.payable_account(farmer_a): A_OWED, ledger.payable_account(farmer_b): B_OWED}
    made = payouts.run()
    assert paid_to(farmer_a, made) == [A_OWED]
    assert paid_to(farmer_b, made) == [B_OWED]
    assert ledger.owed_to(farmer_a) == ledger.owed_to(farmer_b) == 0
    assert_books_balance()


def test_a_lost_dispute_is_booked_as_a_full_refund_of_what_was_left_and_never_paid(settings):
    """With a fee, after farmer B's line was refunded: the loss takes back farmer A's goods and
    shipping and farmer B's shipping, less the fee they had been charged, in one transaction."""
    settings.PLATFORM_FEE_PERCENT = "3"
    operator = f.staff_user()
    order, farmer_a, farmer_b, _va = paid_by_both()
    line_b = order.lines.get(farmer=farmer_b)
    shopper_payments.refund_payment(operator, order.payment, lines=[line_b])
    dispute = disputes.open_dispute(operator, order.payment, "chargeback by the bank")
    assert dispute.amount == order.total - line_b.total
    assert payouts.run() == []

    lost = disputes.close_dispute(operator, dispute, DisputeStatus.LOST)

    assert lost.status == DisputeStatus.LOST
    booked = LedgerTransaction.objects.get(key=f"dispute-lost:{dispute.pk}")
    fee_a = Decimal("2.39")  # 3 % of 79.80, to the fen
    assert {(e.account, e.amount) for e in booked.entries.all()} == {
        (ledger.cash_account("offline"), -(A_OWED + Decimal("8.00"))),
        (ledger.payable_account(farmer_a), A_OWED - fee_a),
        (ledger.payable_account(farmer_b), Decimal("8.00")),
        (ledger.fee_account(), fee_a),
    }
    assert booked.order == order
    assert ledger.owed_to(farmer_a) == ledger.owed_to(farmer_b) == 0
    assert ledger.balance(ledger.cash_account("offline")) == 0
    assert ledger.balance(ledger.fee_account()) == 0
    payment = Payment.objects.get(pk=order.payment.pk)
    assert payment.refunded_amount == payment.amount
    assert assert_reads_agree() == {}
    assert payouts.run() == []
    assert payouts.run(now=timezone.now() + timedelta(days=30)) == []
    assert_books_balance()

    # Closed again the same way: nothing more; the other way: refused.
    before = ledger_state()
    assert disputes.close_dispute(operator, dispute, DisputeStatus.LOST).pk == dispute.pk
    with pytest.raises(ValidationError) as error:
        disputes.close_dispute(operator, dispute, DisputeStatus.WON)
    assert error.value.code == "already_closed"
    assert ledger_state() == before


def test_a_dispute_lost_after_the_payout_is_taken_from_the_next_one():
    operator = f.staff_user()
    order, farmer_a, _farmer_b, va = paid_by_both()
    payouts.run()
    dispute = disputes.open_dispute(operator, order.payment, "chargeback")
    disputes.close_dispute(operator, dispute, DisputeStatus.LOST)
    assert ledger.owed_to(farmer_a) == -A_OWED
    later = paid_and_delivered(place_order([(va, 3)]))  # 119.70 + 15.00 shipping
    assert paid_to(farmer_a, payouts.run()) == [later.total - A_OWED]
    assert_books_balance()


# --- Stripe's events ----------------------------------------------------------------------------------


@pytest.fixture
def stripe_paid(settings):
    """A paid and delivered order whose payment is a Stripe PaymentIntent, and the webhook on."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = WEBHOOK_TOLERANCE
    order, farmer_a, farmer_b, _va = paid_by_both()
    Payment.objects.filter(pk=order.payment.pk).update(stripe_payment_intent=f"pi_test_{order.pk}")
    return order, farmer_a, farmer_b


def stripe_dispute(order, status="needs_response", dispute_id="dp_test_1") -> dict:
    """A dispute object as Stripe puts it in `data.object`."""
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": int(order.total * 100),
        "currency": "cny",
        "charge": f"ch_test_{order.pk}",
        "payment_intent": f"pi_test_{order.pk}",
        "reason": "product_not_received",
        "status": status,
        "livemode": False,
        "metadata": {},
    }


def test_stripe_dispute_events_hold_then_book_the_loss_once(client, stripe_paid):
    order, farmer_a, farmer_b = stripe_paid
    created = make_event("charge.dispute.created", stripe_dispute(order))

    assert outcome_of(post_event(client, created)) == "dispute opened"
    dispute = Dispute.objects.get()
    assert (dispute.provider_id, dispute.amount, dispute.status) == ("dp_test_1", order.total, DisputeStatus.OPEN)
    assert (dispute.reason, dispute.opened_by) == ("product_not_received", None)
    assert outcome_of(post_event(client, created)) == "duplicate"
    again = make_event("charge.dispute.created", stripe_dispute(order))  # the same dispute, another event
    assert outcome_of(post_event(client, again)) == "dispute already recorded"
    assert Dispute.objects.count() == 1
    assert payouts.run() == []

    closed = make_event("charge.dispute.closed", stripe_dispute(order, status="lost"))
    assert outcome_of(post_event(client, closed)) == "dispute lost"
    before = ledger_state()
    assert outcome_of(post_event(client, closed)) == "duplicate"
    assert outcome_of(post_event(client, make_event("charge.dispute.closed", stripe_dispute(order, "lost")))) == (
        "no change"
    )
    assert ledger_state() == before
    assert LedgerTransaction.objects.filter(key=f"dispute-lost:{dispute.pk}").count() == 1
    assert ledger.owed_to(farmer_a) == ledger.owed_to(farmer_b) == 0
    assert payouts.run() == []
    assert_books_balance()


@pytest.mark.parametrize("status", ["won", "warning_closed"])
def test_a_dispute_closed_in_our_favour_is_paid_even_if_its_opening_was_missed(client, stripe_paid, status):
    order, farmer_a, farmer_b = stripe_paid
    closed = make_event("charge.dispute.closed", stripe_dispute(order, status=status))

    assert outcome_of(post_event(client, closed)) == "dispute won"
    assert Dispute.objects.get().status == DisputeStatus.WON
    assert not LedgerTransaction.objects.filter(key__startswith="dispute-lost:").exists()
    made = payouts.run()
    assert (paid_to(farmer_a, made), paid_to(farmer_b, made)) == ([A_OWED], [B_OWED])


def test_a_dispute_of_an_unknown_payment_changes_nothing(client, stripe_paid):
    order, *_ = stripe_paid
    other = stripe_dispute(order) | {"payment_intent": "pi_someone_elses"}
    assert outcome_of(post_event(client, make_event("charge.dispute.created", other))) == "unknown payment"
    assert not Dispute.objects.exists()
