"""Stripe money paths no other test ran: cancelling a Stripe order (unpaid: the PaymentIntent is
cancelled at Stripe; paid: refunded there in full), a payment whose success webhook arrives after
the order was cancelled (refunded on arrival, `shop.orders.record_paid`), and refunds with a
platform fee settled by Stripe's refund webhooks. Stripe's HTTP API is the network edge:
localstripe stands in for it and webhooks are signed with the `stripe` library (test_stripe.py)."""

# ruff: noqa: F811 - test arguments name the fixtures imported from test_stripe

from decimal import Decimal

import pytest

from payments import ledger
from payments.models import PaymentStatus, Refund, RefundStatus
from shop import orders
from shop.models import OrderStatus, Variant
from tests import factories

from .test_stripe import (  # noqa: F401 - the fixtures placed and paid are used by name
    GOOD_CARD,
    PARCEL_A,
    PARCEL_B,
    TOTAL,
    cash,
    confirm_with_card,
    make_event,
    ok,
    outcome_of,
    paid,
    placed,
    post_event,
    stripe_object,
)

pytestmark = pytest.mark.django_db


def stocks(placed) -> tuple[int, int]:
    return tuple(Variant.objects.get(product__farmer=farmer).stock for farmer in (placed.farmer_a, placed.farmer_b))


def test_cancelling_an_unpaid_stripe_order_cancels_its_intent_at_stripe(placed):
    assert stocks(placed) == (8, 9)

    orders.cancel_order(placed.shopper, placed.order)

    assert placed.refresh().status == OrderStatus.CANCELLED
    assert placed.payment.status == PaymentStatus.CANCELLED
    # What we asked of Stripe (localstripe fails to read back an intent cancelled before any charge).
    assert len(placed.localstripe.requests_to("POST", f"/v1/payment_intents/{placed.intent_id}/cancel")) == 1
    assert stocks(placed) == (10, 10)
    assert placed.localstripe.requests_to("POST", "/v1/refunds") == [] and not Refund.objects.exists()
    assert cash() == 0


def test_cancelling_a_paid_stripe_order_refunds_the_whole_charge_at_stripe(paid):
    orders.cancel_order(paid.shopper, paid.order)

    assert paid.refresh().status == OrderStatus.CANCELLED
    assert [refund.amount for refund in paid.refunds_at_stripe()] == [12830]
    payment = paid.payment
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == TOTAL
    assert Refund.objects.get().reason == "order cancelled"
    assert stocks(paid) == (10, 10)
    assert cash() == 0
    assert ledger.owed_to(paid.farmer_a) == ledger.owed_to(paid.farmer_b) == 0


def test_a_payment_arriving_after_the_cancel_is_refunded_on_arrival(placed, django_capture_on_commit_callbacks):
    """The shopper's card was charged, then they cancelled before Stripe's webhook came (the
    intent could no longer be cancelled at Stripe: logged). The webhook books the money, and once
    that commits it all goes back: one refund of the whole charge, the order stays cancelled."""
    assert confirm_with_card(placed.stripe, placed.intent_id, GOOD_CARD) is None
    orders.cancel_order(placed.shopper, placed.order)
    assert placed.payment.status == PaymentStatus.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", placed.intent()))) == "paid"

    order = placed.refresh()
    assert order.status == OrderStatus.CANCELLED and order.paid_at is not None
    assert [refund.amount for refund in placed.refunds_at_stripe()] == [12830]
    payment = placed.payment
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == TOTAL
    assert cash() == 0
    assert ledger.owed_to(placed.farmer_a) == ledger.owed_to(placed.farmer_b) == 0
    assert stocks(placed) == (10, 10)


def test_refunds_with_a_platform_fee_settled_by_webhooks_give_the_fee_back_to_the_fen(placed, settings):
    """A 10% platform fee on 105.30 of goods: 7.98 on farmer A's 79.80 line, 2.55 on farmer B's
    25.50 (10.53 in all). Stripe settles each refund later, by webhook: a line's refund takes its
    value less its fee off the farmer and gives the fee back; the rest closes everything at zero."""
    settings.PLATFORM_FEE_PERCENT = "10"
    assert placed.pay() == "paid"
    fees = ledger.fee_account()
    assert ledger.balance(fees) == Decimal("-10.53")
    assert ledger.owed_to(placed.farmer_a) == PARCEL_A - Decimal("7.98")
    assert ledger.owed_to(placed.farmer_b) == PARCEL_B - Decimal("2.55")
    placed.localstripe.refunds_settle_later = True
    staff = factories.staff_user()

    def settle_by_webhook(refund_id: str) -> str:
        placed.localstripe.settle_refund(refund_id, "succeeded")
        event = make_event("refund.updated", stripe_object(placed.stripe.v1.refunds.retrieve(refund_id)))
        return outcome_of(post_event(placed.client, event))

    line_a = placed.line_of(placed.farmer_a)
    assert ok(placed.refund(staff, [line_a]), "orderRefund")["refund"]["status"] == "PENDING"
    assert ledger.owed_to(placed.farmer_a) == PARCEL_A - Decimal("7.98")  # nothing booked while pending
    (first,) = placed.refunds_at_stripe()
    assert settle_by_webhook(first.id) == "refund succeeded"

    assert ledger.owed_to(placed.farmer_a) == Decimal("15.00")  # the parcel's shipping is still theirs
    assert ledger.balance(fees) == Decimal("-2.55")
    assert cash() == TOTAL - Decimal("79.80")

    ok(placed.refund(staff), "orderRefund")
    rest = next(refund for refund in placed.refunds_at_stripe() if refund.id != first.id)
    assert rest.amount == 4850
    assert settle_by_webhook(rest.id) == "refund succeeded"

    assert [r.status for r in Refund.objects.order_by("pk")] == [RefundStatus.SUCCEEDED] * 2
    assert placed.payment.status == PaymentStatus.REFUNDED
    assert placed.refresh().status == OrderStatus.REFUNDED
    assert ledger.balance(fees) == 0
    assert ledger.owed_to(placed.farmer_a) == ledger.owed_to(placed.farmer_b) == 0
    assert cash() == 0
    assert not ledger.unbalanced_transactions().exists()
