"""Money paths raced on PostgreSQL, with committed rows and one connection per thread, that no
other test raced: refunds of one payment at once (the over-refund reservation under the payment's
lock), a shopper's cancel against a farmer's "shipped", a cancel against Stripe's success webhook,
and Stripe delivering one success several times at once. Every round ends with the money to the
fen: paid once, refunded at most once in total, the ledger balanced, the stock where it belongs.

Stripe's HTTP API is the network edge: localstripe (tests/payments/localstripe_server.py) stands
in for it, and webhooks are signed with the `stripe` library's own scheme (tests/payments/test_stripe.py)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from payments import ledger
from payments.models import LedgerTransaction, Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from payments.shopper_payments import confirm_offline_payment, refund_payment
from shop import orders
from shop.models import FulfilmentStatus, Order, OrderStatus
from tests import factories as f
from tests.concurrency.orders import Shop
from tests.concurrency.threads import run_together
from tests.payments.test_stripe import GOOD_CARD, confirm_with_card, make_event, outcome_of, post_event, stripe_object

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

ROUNDS = 5
BOXES_LINE = Decimal("79.80")  # 2 × 39.90


@pytest.fixture
def shop(require_postgres, transactional_db):
    return Shop()


def _code(call):
    """ "ok", or the code of the refusal the call answered with."""
    try:
        call()
    except ValidationError as error:
        codes = (
            {e.code for errors in error.error_dict.values() for e in errors}
            if hasattr(error, "error_dict")
            else {e.code for e in error.error_list}
        )
        (code,) = codes
        return code
    return "ok"


def _balanced_and_nothing_owed(shop: Shop, gateway: str) -> None:
    assert not ledger.unbalanced_transactions().exists()
    assert ledger.balance(ledger.cash_account(gateway)) == Decimal("0.00")
    assert all(ledger.owed_to(farmer) == Decimal("0.00") for farmer in shop.farmers)


# --- Refunds of one payment at once ------------------------------------------------------------


def test_full_refunds_at_once_give_the_money_back_once(shop):
    """Three operators refund one payment in full at the same moment: one refund of the whole
    amount, the others told there is nothing left (or the payment is refunded already)."""
    operators = [f.staff_user() for _ in range(3)]
    for _ in range(ROUNDS):
        order = shop.order()
        confirm_offline_payment(operators[0], order.payment)

        codes = run_together(
            [
                lambda who=who, order=order: _code(lambda: refund_payment(who, Payment.objects.get(order=order)))
                for who in operators
            ]
        )

        assert codes.count("ok") == 1 and set(codes) - {"ok"} <= {"nothing_to_refund", "not_paid"}, codes
        payment = Payment.objects.get(order=order)
        assert [refund.amount for refund in payment.refunds.all()] == [Shop.TOTAL]
        assert payment.refunded_amount == Shop.TOTAL and payment.status == PaymentStatus.REFUNDED
    _balanced_and_nothing_owed(shop, "offline")


def test_one_lines_refund_racing_a_full_refund_never_refunds_more_than_was_paid(shop):
    """The boxes' line twice and "everything left" at once: whatever the order, the refunds add
    up to exactly what was paid, no line is refunded twice, and the shipping once."""
    operator = f.staff_user()
    for _ in range(ROUNDS):
        order = shop.order()
        confirm_offline_payment(operator, order.payment)
        boxes = order.lines.get(variant=shop.box)

        def line(order=order, boxes=boxes):
            return _code(lambda: refund_payment(operator, Payment.objects.get(order=order), [boxes]))

        def everything(order=order):
            return _code(lambda: refund_payment(operator, Payment.objects.get(order=order)))

        codes = run_together([line, line, everything])

        refunds = list(Refund.objects.filter(payment__order=order).order_by("pk"))
        assert [r.status for r in refunds] == [RefundStatus.SUCCEEDED] * len(refunds)
        assert sum(r.amount for r in refunds) == Shop.TOTAL
        assert sum(r.includes_shipping for r in refunds) == 1
        refunded_lines = [pk for r in refunds for pk in r.lines.values_list("pk", flat=True)]
        assert sorted(refunded_lines) == sorted(order.lines.values_list("pk", flat=True))
        # The boxes go back in exactly one refund: by itself (79.80, then the rest 35.50) or with
        # everything (115.30, and both line refunds refused).
        assert sorted(r.amount for r in refunds) in ([Decimal("35.50"), BOXES_LINE], [Shop.TOTAL])
        assert codes[:2].count("ok") == (1 if len(refunds) == 2 else 0), codes
        # A line refund that comes after the full one finds the payment refunded, no longer paid.
        assert set(codes) <= {"ok", "already_refunded", "not_paid"}, codes
        payment = Payment.objects.get(order=order)
        assert payment.refunded_amount == Shop.TOTAL and payment.status == PaymentStatus.REFUNDED
    _balanced_and_nothing_owed(shop, "offline")


# --- Cancel against ship -----------------------------------------------------------------------


def test_a_cancel_racing_the_farmers_shipping_one_wins_whole(shop):
    """The shopper cancels a paid order as farmer A marks their parcel shipped. The cancel first:
    the parcel cannot be shipped any more, the stock and the money go back. The shipping first: the
    order can no longer be cancelled, nothing goes back."""
    operator = f.staff_user()
    farmer_a = shop.farmers[0]
    wins = set()
    for _ in range(ROUNDS):
        shopper = f.user()
        order = shop.order(user=shopper)
        confirm_offline_payment(operator, order.payment)
        parcel = order.fulfilments.get(farmer=farmer_a)
        before = shop.stock()

        cancelled, shipped = run_together(
            [
                lambda order=order, shopper=shopper: _code(
                    lambda: orders.cancel_order(shopper, Order.objects.get(pk=order.pk))
                ),
                lambda parcel=parcel: _code(lambda: orders.ship_fulfilment(farmer_a.user, parcel, "顺丰", "SF100")),
            ]
        )

        order.refresh_from_db()
        parcel.refresh_from_db()
        payment = Payment.objects.get(order=order)
        if cancelled == "ok":
            wins.add("cancel")
            assert shipped == "order_closed"
            assert order.status == OrderStatus.CANCELLED and parcel.status == FulfilmentStatus.CANCELLED
            assert shop.stock() == (before[0] + Shop.BOXES, before[1] + Shop.BAGS)
            assert payment.refunded_amount == Shop.TOTAL and payment.status == PaymentStatus.REFUNDED
        else:
            wins.add("ship")
            assert (cancelled, shipped) == ("cannot_cancel", "ok")
            assert order.status == OrderStatus.PARTIALLY_SHIPPED and parcel.status == FulfilmentStatus.SHIPPED
            assert shop.stock() == before
            assert payment.refunded_amount == 0 and payment.status == PaymentStatus.SUCCEEDED
    assert not ledger.unbalanced_transactions().exists()
    refunded = Payment.objects.filter(status=PaymentStatus.REFUNDED).count()
    assert ledger.balance(ledger.cash_account("offline")) == Shop.TOTAL * (ROUNDS - refunded)


# --- Stripe: a cancel against the success webhook, and one success delivered at once -------------


def _stripe_order_paid_at_stripe(shop, localstripe, shopper):
    """A Stripe order whose card Stripe has charged; our webhook has not arrived yet."""
    order = shop.order(user=shopper, payment_method="stripe")
    payment = Payment.objects.get(order=order)
    assert confirm_with_card(localstripe.client(), payment.stripe_payment_intent, GOOD_CARD) is None
    intent = stripe_object(localstripe.client().v1.payment_intents.retrieve(payment.stripe_payment_intent))
    return order, payment, intent


def test_a_cancel_racing_stripes_success_webhook_ends_cancelled_with_the_money_back_once(shop, localstripe):
    """Either the webhook books the payment first and the cancel refunds it, or the cancel closes
    the payment first and the money that still arrives is refunded on arrival: the order ends
    cancelled, its stock back, and Stripe holds exactly one refund of the whole charge."""
    for _ in range(ROUNDS):
        shopper = f.user()
        order, payment, intent = _stripe_order_paid_at_stripe(shop, localstripe, shopper)
        before = shop.stock()
        event = make_event("payment_intent.succeeded", intent)

        cancelled, delivered = run_together(
            [
                lambda order=order, shopper=shopper: (
                    orders.cancel_order(shopper, Order.objects.get(pk=order.pk)).status
                ),
                lambda event=event: outcome_of(post_event(Client(), event)),
            ]
        )

        assert (cancelled, delivered) == (OrderStatus.CANCELLED, "paid")
        order.refresh_from_db()
        payment.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED and order.paid_at is not None
        assert shop.stock() == (before[0] + Shop.BOXES, before[1] + Shop.BAGS)
        assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == Shop.TOTAL
        at_stripe = localstripe.client().v1.refunds.list({"payment_intent": payment.stripe_payment_intent}).data
        assert [refund.amount for refund in at_stripe] == [11530]
        assert [r.amount for r in payment.refunds.filter(status=RefundStatus.SUCCEEDED)] == [Shop.TOTAL]
    _balanced_and_nothing_owed(shop, "stripe")


@pytest.mark.parametrize("same_event_id", [True, False], ids=["one-event-id", "distinct-event-ids"])
def test_one_success_delivered_four_times_at_once_books_the_payment_once(shop, localstripe, same_event_id):
    """Stripe redelivers an event (same id) or sends the success twice (distinct ids), and the
    deliveries overlap: one books the payment; the same id is a duplicate, a distinct id finds it
    already paid. One ledger booking, one stored event per id."""
    for _ in range(ROUNDS):
        order, payment, intent = _stripe_order_paid_at_stripe(shop, localstripe, f.user())
        events = [make_event("payment_intent.succeeded", intent) for _ in range(4)]
        if same_event_id:
            events = [events[0]] * 4

        outcomes = run_together([lambda event=event: outcome_of(post_event(Client(), event)) for event in events])

        loser = "duplicate" if same_event_id else "already paid"
        assert sorted(outcomes) == sorted(["paid"] + [loser] * 3), outcomes
        assert WebhookEvent.objects.filter(payload__data__object__id=intent["id"]).count() == (
            1 if same_event_id else 4
        )
        assert list(LedgerTransaction.objects.filter(order=order).values_list("key", flat=True)) == [
            f"payment:{payment.pk}"
        ]
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
    assert ledger.balance(ledger.cash_account("stripe")) == Shop.TOTAL * ROUNDS
    assert not ledger.unbalanced_transactions().exists()
