"""Card payments through Stripe, end to end: checkout → PaymentIntent → signed webhook → ledger → refunds.

localstripe (see localstripe_server.py), a stateful fake Stripe server started by these tests on
127.0.0.1, stands in for Stripe's live API: the true network edge of our payments, which tests never
reach. Our gateway talks to it through the official `stripe` library, unchanged, and what we sent is
read back from it. Webhooks are what Stripe would send: JSON signed with the endpoint secret by the
`stripe` library's own scheme (`WebhookSignature.generate_signature_header`), carrying the
PaymentIntents and Refunds as localstripe holds them; our endpoint verifies them with the same
library. Everything a shopper or an operator does goes through GraphQL.

The order used throughout: farmer A's box at 39.90 × 2 (5 kg, shipping 15.00) and farmer B's at
25.50 × 1 (1 kg, shipping 8.00) by 标准快递, so 105.30 of goods + 23.00 shipping = 128.30 CNY,
12830 fen; farmer A is owed 94.80 and farmer B 33.50. The platform fee is 0 here.
"""

import datetime
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
import stripe
from graphql_relay import from_global_id, to_global_id

from farmers.models import Farmer
from payments import ledger
from payments.models import LedgerTransaction, Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from shop.models import Order, OrderLine, OrderStatus, ShippingMethod
from tests import factories

from .localstripe_server import WEBHOOK_SECRET, WEBHOOK_TOLERANCE, LocalStripe

pytestmark = pytest.mark.django_db

WEBHOOK_URL = "/payments/stripe/webhook/"
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # localstripe declines it when the intent is confirmed

TOTAL = Decimal("128.30")
PARCEL_A = Decimal("94.80")  # 2 × 39.90 + 15.00 shipping
PARCEL_B = Decimal("33.50")  # 25.50 + 8.00 shipping
LINE_A = Decimal("79.80")

CREATE = """
mutation($input: CheckoutCreateInput!) { checkoutCreate(input: $input) { checkout { id } errors { field code } } }"""
ADDRESS = """
mutation($id: ID!, $address: AddressInput!) {
  checkoutShippingAddressUpdate(id: $id, shippingAddress: $address) { checkout { id } errors { field code } }
}"""
DELIVERY = """
mutation($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) { checkout { totalPrice } errors { field code } }
}"""
COMPLETE = """
mutation($id: ID!) {
  checkoutComplete(id: $id, paymentMethod: STRIPE) {
    clientSecret
    order { id number status total payment { status } }
    errors { field code message }
  }
}"""
ORDER = """
query($id: ID!) {
  order(id: $id) {
    status paidAt
    payment { status amount refundedAmount failureMessage clientSecret refunds { amount status includesShipping } }
    lines { id totalPrice refundedAt }
  }
}"""
REFUND = """
mutation($id: ID!, $lines: [ID!]) {
  orderRefund(id: $id, linesIds: $lines) {
    refund { amount status includesShipping lines { id } }
    order { status payment { status refundedAmount } }
    errors { field code message }
  }
}"""


# --- Helpers --------------------------------------------------------------------------------------


def ok(result: dict, mutation: str) -> dict:
    assert "errors" not in result, result
    data = result["data"][mutation]
    assert data["errors"] == [], data["errors"]
    return data


def only_error_code(result: dict, mutation: str) -> str:
    assert "errors" not in result, result
    errors = result["data"][mutation]["errors"]
    assert len(errors) == 1, errors
    return errors[0]["code"]


def ready_checkout(gql, shopper, lines) -> str:
    """A checkout completed up to payment, through GraphQL as the shopper's app does it: lines,
    email, address, delivery. Returns its global ID."""
    gql.login(shopper)
    items = [{"variantId": to_global_id("ProductVariant", variant.pk), "quantity": n} for variant, n in lines]
    checkout = ok(gql(CREATE, {"input": {"email": "shopper@example.com", "lines": items}}), "checkoutCreate")
    checkout_id = checkout["checkout"]["id"]
    address = {
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "street": "科技园路1号",
        "recipient": "李四",
        "phone": "13800138000",
    }
    ok(gql(ADDRESS, {"id": checkout_id, "address": address}), "checkoutShippingAddressUpdate")
    method = to_global_id("ShippingMethod", ShippingMethod.objects.get(name="标准快递").pk)  # from the migrations
    ok(gql(DELIVERY, {"id": checkout_id, "method": method}), "checkoutDeliveryMethodUpdate")
    return checkout_id


def confirm_with_card(stripe_client: stripe.StripeClient, intent_id: str, number: str) -> stripe.CardError | None:
    """What the shopper's app does with the client secret: attach a card and confirm. localstripe
    takes the card through `update`, then `confirm` with no parameters. Returns the decline, if any."""
    card = {"number": number, "exp_month": 12, "exp_year": datetime.date.today().year + 4, "cvc": "123"}
    method = stripe_client.v1.payment_methods.create({"type": "card", "card": card})
    stripe_client.v1.payment_intents.update(intent_id, {"payment_method": method.id})
    try:
        stripe_client.v1.payment_intents.confirm(intent_id)
    except stripe.CardError as decline:
        return decline
    return None


def stripe_object(stripe_object) -> dict:
    """A localstripe object as the plain JSON Stripe puts in an event's `data.object`."""
    return stripe_object.to_dict(for_json=True)


def make_event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    """An event as Stripe delivers it (a v1 snapshot event)."""
    return {
        "id": event_id or f"evt_test_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for a body: the stripe library's own scheme for text, the same
    HMAC by hand for bytes that are not UTF-8 (which the library's helper cannot take)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={mac}"
    return stripe.WebhookSignature.generate_signature_header(text, secret, timestamp=timestamp)


def post_event(client, body, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, header: str | None = None):
    """POST a webhook as Stripe does: `body` is an event dict, or raw text/bytes; signed with
    `secret` at `timestamp` (now), unless `header` gives the Stripe-Signature outright."""
    if isinstance(body, dict):
        body = json.dumps(body)
    payload = body.encode() if isinstance(body, str) else body
    signature = sign(payload, secret, timestamp) if header is None else header
    headers = {"Stripe-Signature": signature} if signature else {}
    return client.post(WEBHOOK_URL, payload, content_type="application/json", headers=headers)


def outcome_of(response) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["received"] is True
    return body["outcome"]


def ledger_state() -> tuple:
    """Everything the ledger says, for "nothing changed" comparisons."""
    return tuple(LedgerTransaction.objects.values_list("key", flat=True).order_by("key"))


def cash() -> Decimal:
    """What the ledger says we hold at Stripe."""
    return ledger.balance(ledger.cash_account("stripe"))


@dataclass
class Placed:
    """An order placed with paymentMethod STRIPE, its PaymentIntent open at localstripe."""

    gql: object
    client: object
    localstripe: LocalStripe
    stripe: stripe.StripeClient
    shopper: object
    farmer_a: Farmer
    farmer_b: Farmer
    checkout_id: str
    order: Order
    client_secret: str
    result: dict

    @property
    def payment(self) -> Payment:
        return Payment.objects.get(order=self.order)

    @property
    def intent_id(self) -> str:
        return self.payment.stripe_payment_intent

    @property
    def order_gid(self) -> str:
        return to_global_id("Order", self.order.pk)

    def line_of(self, farmer) -> OrderLine:
        return OrderLine.objects.get(order=self.order, farmer=farmer)

    def intent(self) -> dict:
        return stripe_object(self.stripe.v1.payment_intents.retrieve(self.intent_id))

    def refresh(self) -> Order:
        self.order.refresh_from_db()
        return self.order

    def pay(self) -> str:
        """The shopper confirms with a good card and Stripe's webhook arrives."""
        assert confirm_with_card(self.stripe, self.intent_id, GOOD_CARD) is None
        return outcome_of(post_event(self.client, make_event("payment_intent.succeeded", self.intent())))

    def refund(self, user, lines=None) -> dict:
        variables = {"id": self.order_gid}
        if lines is not None:
            variables["lines"] = [to_global_id("OrderLine", line.pk) for line in lines]
        return self.gql.login(user)(REFUND, variables)

    def refunds_at_stripe(self) -> list:
        return self.stripe.v1.refunds.list({"payment_intent": self.intent_id}).data


@pytest.fixture
def placed(gql, client, localstripe) -> Placed:
    """The shopper's two-farmer order (see the module docstring), completed with paymentMethod STRIPE."""
    farmer_a, farmer_b = factories.farmer(), factories.farmer()
    box = {"name": "5斤装", "price": Decimal("39.90"), "stock": 10, "weight_kg": Decimal("2.5")}
    bag = {"name": "2斤装", "price": Decimal("25.50"), "stock": 10, "weight_kg": Decimal("1.0")}
    variant_a = factories.product(farmer_a, variants=[box]).variants.get()
    variant_b = factories.product(farmer_b, variants=[bag]).variants.get()
    shopper = factories.user(email="shopper@example.com")
    checkout_id = ready_checkout(gql, shopper, [(variant_a, 2), (variant_b, 1)])
    result = ok(gql(COMPLETE, {"id": checkout_id}), "checkoutComplete")
    order = Order.objects.get(pk=from_global_id(result["order"]["id"])[1])
    return Placed(
        gql=gql,
        client=client,
        localstripe=localstripe,
        stripe=localstripe.client(),
        shopper=shopper,
        farmer_a=farmer_a,
        farmer_b=farmer_b,
        checkout_id=checkout_id,
        order=order,
        client_secret=result["clientSecret"],
        result=result,
    )


@pytest.fixture
def paid(placed) -> Placed:
    """The same order, paid by card and confirmed by Stripe's webhook."""
    assert placed.pay() == "paid"
    return placed


# --- Opening the payment --------------------------------------------------------------------------


def test_checkout_opens_a_payment_intent_in_fen_and_returns_its_client_secret(placed):
    """One PaymentIntent for the order, for its total in fen (CNY's smallest unit), in cny, as
    localstripe stored it; its client secret goes to the shopper's app; the order waits, unpaid."""
    assert placed.result["order"]["status"] == "UNPAID"
    assert placed.result["order"]["total"] == "128.30"
    assert placed.result["order"]["payment"] == {"status": "PENDING"}

    intent = placed.stripe.v1.payment_intents.retrieve(placed.intent_id)
    assert intent.amount == 12830
    assert intent.currency == "cny"
    assert intent.status == "requires_payment_method"
    assert placed.client_secret == intent.client_secret
    assert intent.metadata.to_dict() == {
        "order": placed.order.number,
        "payment": str(placed.payment.pk),
        "checkout": str(placed.order.checkout_id),
    }
    assert placed.order.total == TOTAL


def test_the_intent_is_created_with_an_idempotency_key_derived_from_the_order(placed):
    """The key is the order's checkout UUID (unique across databases sharing a Stripe account),
    so a retried create at Stripe can only return the same intent."""
    (create,) = placed.localstripe.requests_to("POST", "/v1/payment_intents")
    assert create.idempotency_key == f"shanhuo-order-{placed.order.checkout_id}"
    assert create.params["amount"] == "12830"
    assert create.params["currency"] == "cny"


def test_repeating_checkout_complete_returns_the_same_order_and_opens_no_second_intent(placed):
    """localstripe does not honour idempotency keys, so this shows our own guard: the intent's id
    is stored with the payment, and a repeat answers from it without calling Stripe again."""
    again = ok(placed.gql(COMPLETE, {"id": placed.checkout_id}), "checkoutComplete")

    assert again["order"]["id"] == placed.result["order"]["id"]
    assert again["clientSecret"] == placed.client_secret
    assert len(placed.localstripe.requests_to("POST", "/v1/payment_intents")) == 1
    assert [intent.id for intent in placed.stripe.v1.payment_intents.list().data] == [placed.intent_id]
    assert Order.objects.count() == 1


def test_a_stripe_outage_keeps_the_order_and_a_retry_opens_the_intent(gql, localstripe):
    """Stripe answering 503: the order is placed (stock taken) and the shopper is told to try
    again; the retry opens the intent, for the same order, with the same key."""
    farmer = factories.farmer()
    variant = factories.product(farmer).variants.get()
    checkout_id = ready_checkout(gql, factories.user(), [(variant, 1)])

    with localstripe.outage("/v1/payment_intents"):
        failed = gql(COMPLETE, {"id": checkout_id})
    assert only_error_code(failed, "checkoutComplete") == "PAYMENT_GATEWAY_ERROR"
    order = Order.objects.get()
    assert order.status == OrderStatus.UNPAID
    assert order.payment.stripe_payment_intent is None

    retried = ok(gql(COMPLETE, {"id": checkout_id}), "checkoutComplete")
    assert retried["order"]["number"] == order.number
    assert retried["clientSecret"]
    first, second = localstripe.requests_to("POST", "/v1/payment_intents")
    assert first.idempotency_key == second.idempotency_key == f"shanhuo-order-{order.checkout_id}"
    assert len(localstripe.client().v1.payment_intents.list().data) == 1


# --- Paying ---------------------------------------------------------------------------------------


def test_a_card_payment_confirmed_by_webhook_pays_the_order_and_books_the_ledger(placed):
    """Confirming with a card is not enough by itself: the order is PAID when Stripe's signed
    `payment_intent.succeeded` arrives, carrying the intent as localstripe holds it. Then the ledger
    holds the cash and owes each farmer their parcel (goods and shipping)."""
    assert confirm_with_card(placed.stripe, placed.intent_id, GOOD_CARD) is None
    intent = placed.intent()
    assert intent["status"] == "succeeded"
    assert placed.refresh().status == OrderStatus.UNPAID

    assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", intent))) == "paid"

    order = placed.gql(ORDER, {"id": placed.order_gid})["data"]["order"]
    assert order["status"] == "PAID"
    assert order["paidAt"]
    assert order["payment"]["status"] == "SUCCEEDED"
    assert order["payment"]["clientSecret"] is None  # nothing left to confirm
    assert ledger.owed_to(placed.farmer_a) == PARCEL_A
    assert ledger.owed_to(placed.farmer_b) == PARCEL_B
    assert cash() == TOTAL
    assert not ledger.unbalanced_transactions().exists()


def test_a_declined_card_fails_the_payment_and_a_later_card_pays(placed):
    """localstripe declines 4000000000000341 at confirmation; Stripe's `payment_failed` marks the
    payment FAILED with the card network's reason and leaves the order UNPAID (and nothing booked),
    the client secret still offered for another try; that try's success pays the order."""
    decline = confirm_with_card(placed.stripe, placed.intent_id, DECLINED_CARD)
    assert decline is not None and decline.code == "card_declined"
    declined = placed.intent()
    assert declined["status"] == "requires_payment_method"

    outcome = outcome_of(post_event(placed.client, make_event("payment_intent.payment_failed", declined)))

    assert outcome == "failed"
    order = placed.gql(ORDER, {"id": placed.order_gid})["data"]["order"]
    assert order["status"] == "UNPAID"
    assert order["payment"]["status"] == "FAILED"
    assert order["payment"]["failureMessage"] == "Your card was declined."
    assert order["payment"]["clientSecret"] == placed.client_secret
    assert ledger_state() == ()

    assert placed.pay() == "paid"
    assert placed.refresh().status == OrderStatus.PAID
    assert placed.payment.status == PaymentStatus.SUCCEEDED
    assert placed.payment.failure_message == ""
    assert cash() == TOTAL


# --- Refunds --------------------------------------------------------------------------------------


def test_staff_refund_one_line_then_the_rest(paid):
    """A line's refund sends its value in fen to Stripe and takes it off that farmer's payable;
    the order stays PAID. Refunding with no lines then sends everything left, shipping included:
    Stripe's refunds add up to the charge, the payment and order are REFUNDED, the ledger is back
    at zero, and the first line cannot be refunded again."""
    staff = factories.staff_user()
    line_a = paid.line_of(paid.farmer_a)

    first = ok(paid.refund(staff, [line_a]), "orderRefund")

    assert first["refund"] == {
        "amount": "79.80",
        "status": "SUCCEEDED",
        "includesShipping": False,
        "lines": [{"id": to_global_id("OrderLine", line_a.pk)}],
    }
    assert first["order"] == {"status": "PAID", "payment": {"status": "SUCCEEDED", "refundedAmount": "79.80"}}
    assert [refund.amount for refund in paid.refunds_at_stripe()] == [7980]
    refund = Refund.objects.get()
    assert refund.stripe_refund == paid.refunds_at_stripe()[0].id
    (request,) = paid.localstripe.requests_to("POST", "/v1/refunds")
    assert request.idempotency_key == f"shanhuo-refund-{paid.intent_id}-{refund.pk}"
    assert request.params["amount"] == "7980"
    assert ledger.owed_to(paid.farmer_a) == PARCEL_A - LINE_A  # the parcel's shipping is still owed
    assert ledger.owed_to(paid.farmer_b) == PARCEL_B
    assert cash() == TOTAL - LINE_A

    again = paid.refund(staff, [line_a])
    assert only_error_code(again, "orderRefund") == "ALREADY_REFUNDED"

    rest = ok(paid.refund(staff), "orderRefund")

    assert rest["refund"]["amount"] == "48.50"  # farmer B's 25.50 and both parcels' 23.00 shipping
    assert rest["refund"]["includesShipping"] is True
    assert rest["order"] == {"status": "REFUNDED", "payment": {"status": "REFUNDED", "refundedAmount": "128.30"}}
    assert sorted(refund.amount for refund in paid.refunds_at_stripe()) == [4850, 7980]
    assert sum(refund.amount for refund in paid.refunds_at_stripe()) == 12830
    assert ledger.owed_to(paid.farmer_a) == 0
    assert ledger.owed_to(paid.farmer_b) == 0
    assert cash() == 0
    assert not ledger.unbalanced_transactions().exists()
    order = paid.gql(ORDER, {"id": paid.order_gid})["data"]["order"]
    assert all(line["refundedAt"] for line in order["lines"])


def test_staff_full_refund(paid):
    """No lines: the whole payment in one Stripe refund of the order total in fen."""
    result = ok(paid.refund(factories.staff_user()), "orderRefund")

    assert result["refund"]["amount"] == "128.30"
    assert result["order"] == {"status": "REFUNDED", "payment": {"status": "REFUNDED", "refundedAmount": "128.30"}}
    assert [refund.amount for refund in paid.refunds_at_stripe()] == [12830]
    assert cash() == 0
    assert ledger.owed_to(paid.farmer_a) == ledger.owed_to(paid.farmer_b) == 0

    again = paid.refund(factories.staff_user())
    assert only_error_code(again, "orderRefund") == "NOT_PAID"
    assert len(paid.refunds_at_stripe()) == 1


def test_a_refund_stripe_refuses_releases_its_reservation(paid):
    """Stripe failing the refund call: the operator sees GATEWAY_ERROR, the refund is recorded as
    failed, nothing is reserved or booked, and the same lines can be refunded afterwards."""
    staff = factories.staff_user()
    line_b = paid.line_of(paid.farmer_b)
    with paid.localstripe.outage("/v1/refunds"):
        failed = paid.refund(staff, [line_b])

    assert only_error_code(failed, "orderRefund") == "GATEWAY_ERROR"
    assert Refund.objects.get().status == RefundStatus.FAILED
    assert paid.payment.refunded_amount == 0
    assert cash() == TOTAL

    ok(paid.refund(staff, [line_b]), "orderRefund")
    assert [refund.amount for refund in paid.refunds_at_stripe()] == [2550]
    assert paid.payment.refunded_amount == Decimal("25.50")


def test_only_staff_can_refund(paid):
    """The shopper who paid, the farmer who sold, and an anonymous caller are all refused with
    PERMISSION_DENIED before anything reaches Stripe."""
    for user in (paid.shopper, paid.farmer_a.user):
        assert only_error_code(paid.refund(user), "orderRefund") == "PERMISSION_DENIED"
    paid.gql.client.logout()
    anonymous = paid.gql(REFUND, {"id": paid.order_gid})
    assert only_error_code(anonymous, "orderRefund") == "PERMISSION_DENIED"

    assert paid.localstripe.requests_to("POST", "/v1/refunds") == []
    assert not Refund.objects.exists()
    assert paid.payment.status == PaymentStatus.SUCCEEDED
    assert cash() == TOTAL


# --- Webhook signatures ---------------------------------------------------------------------------


BAD_SIGNATURES = {
    "signed-with-another-secret": lambda body: sign(body, "whsec_someone_else"),
    "body-changed-after-signing": lambda body: sign(body.replace(b'"amount": 12830', b'"amount": 1')),
    "no-signature": lambda body: "",
    "garbage-header": lambda body: "t=oops,v1=beef",
    "other-scheme": lambda body: sign(body).replace("v1=", "v0="),
}


@pytest.mark.parametrize("signature", BAD_SIGNATURES.values(), ids=BAD_SIGNATURES.keys())
def test_a_bad_signature_is_refused_and_changes_nothing(placed, signature):
    """A genuine succeeded intent, wrongly signed: 400, the order stays unpaid and no event is
    stored (so the genuine delivery would still be handled)."""
    assert confirm_with_card(placed.stripe, placed.intent_id, GOOD_CARD) is None
    body = json.dumps(make_event("payment_intent.succeeded", placed.intent())).encode()
    assert b'"amount": 12830' in body

    response = post_event(placed.client, body, header=signature(body))

    assert response.status_code == 400
    assert placed.payment.status == PaymentStatus.PENDING
    assert placed.refresh().status == OrderStatus.UNPAID
    assert not WebhookEvent.objects.exists()
    assert ledger_state() == ()


def test_an_expired_signature_is_refused(placed):
    """Signed longer ago than STRIPE_WEBHOOK_TOLERANCE: a captured delivery replayed later is
    refused (400), and changes nothing; the same event freshly signed is handled."""
    assert confirm_with_card(placed.stripe, placed.intent_id, GOOD_CARD) is None
    event = make_event("payment_intent.succeeded", placed.intent())

    stale = post_event(placed.client, event, timestamp=int(time.time()) - WEBHOOK_TOLERANCE - 5)

    assert stale.status_code == 400
    assert placed.payment.status == PaymentStatus.PENDING
    assert not WebhookEvent.objects.exists()
    assert outcome_of(post_event(placed.client, event)) == "paid"


def test_without_a_webhook_secret_the_endpoint_is_off(placed, settings):
    """With no endpoint secret configured nothing could be verified, so nothing is accepted."""
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_event(placed.client, make_event("payment_intent.succeeded", placed.intent()), secret="x")
    assert response.status_code == 404


def test_only_post_is_accepted(client, localstripe):
    """Stripe only POSTs; anything else is refused before the body is looked at."""
    assert client.get(WEBHOOK_URL).status_code == 405


# --- Replays and order of arrival -----------------------------------------------------------------


def test_a_replayed_event_changes_nothing(paid):
    """Stripe redelivers an event with its id: the second delivery is acknowledged and does
    nothing, even when what it says differs (a forged or mangled replay under a used id)."""
    event = WebhookEvent.objects.get()
    before = ledger_state()
    replay = json.loads(json.dumps(event.payload))

    assert outcome_of(post_event(paid.client, replay)) == "duplicate"
    replay["type"] = "payment_intent.payment_failed"
    assert outcome_of(post_event(paid.client, replay)) == "duplicate"

    assert WebhookEvent.objects.count() == 1
    assert ledger_state() == before
    assert paid.payment.status == PaymentStatus.SUCCEEDED
    assert cash() == TOTAL


def test_the_same_success_under_two_event_ids_books_once(paid):
    """Two distinct events for one payment (Stripe may send both): the second is stored, and
    finds the payment already paid; the ledger books it once."""
    before = ledger_state()
    assert outcome_of(post_event(paid.client, make_event("payment_intent.succeeded", paid.intent()))) == "already paid"
    assert WebhookEvent.objects.count() == 2
    assert ledger_state() == before
    assert cash() == TOTAL


def test_a_failure_delivered_after_the_success_leaves_the_order_paid(placed):
    """Stripe does not promise order: an earlier decline's `payment_failed` arriving after the
    success must not unpay the order."""
    decline = confirm_with_card(placed.stripe, placed.intent_id, DECLINED_CARD)
    assert decline is not None
    failed_event = make_event("payment_intent.payment_failed", placed.intent())
    assert confirm_with_card(placed.stripe, placed.intent_id, GOOD_CARD) is None
    assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", placed.intent()))) == "paid"

    assert outcome_of(post_event(placed.client, failed_event)) == "no change"

    assert placed.refresh().status == OrderStatus.PAID
    assert placed.payment.status == PaymentStatus.SUCCEEDED
    assert placed.payment.failure_message == ""
    assert cash() == TOTAL


def test_refund_events_out_of_order_settle_the_refund_once(paid):
    """A refund Stripe settles later (pending at creation): `refund.updated` (succeeded) arriving
    before `refund.created` (pending) books it, and the late pending snapshot changes nothing."""
    paid.localstripe.refunds_settle_later = True
    result = ok(paid.refund(factories.staff_user()), "orderRefund")
    assert result["refund"]["status"] == "PENDING"
    assert result["order"]["payment"] == {"status": "SUCCEEDED", "refundedAmount": "128.30"}  # reserved
    assert cash() == TOTAL  # not booked while pending
    (at_stripe,) = paid.refunds_at_stripe()
    created = make_event("refund.created", stripe_object(at_stripe))
    paid.localstripe.settle_refund(at_stripe.id, "succeeded")
    updated = make_event("refund.updated", stripe_object(paid.stripe.v1.refunds.retrieve(at_stripe.id)))

    assert outcome_of(post_event(paid.client, updated)) == "refund succeeded"
    assert outcome_of(post_event(paid.client, created)) == "no change"

    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert paid.payment.status == PaymentStatus.REFUNDED
    assert paid.refresh().status == OrderStatus.REFUNDED
    assert cash() == 0
    assert ledger.owed_to(paid.farmer_a) == ledger.owed_to(paid.farmer_b) == 0
    assert not ledger.unbalanced_transactions().exists()


def test_a_failed_refund_event_releases_the_reservation_for_good(paid):
    """A pending refund that Stripe then fails: nothing is booked, the reservation is released,
    and a stale `refund.updated` claiming success afterwards cannot revive it."""
    paid.localstripe.refunds_settle_later = True
    line_a = paid.line_of(paid.farmer_a)
    ok(paid.refund(factories.staff_user(), [line_a]), "orderRefund")
    (at_stripe,) = paid.refunds_at_stripe()
    pending = stripe_object(at_stripe)
    paid.localstripe.settle_refund(at_stripe.id, "failed")
    failed = stripe_object(paid.stripe.v1.refunds.retrieve(at_stripe.id))

    assert outcome_of(post_event(paid.client, make_event("refund.failed", failed))) == "refund failed"
    assert outcome_of(post_event(paid.client, make_event("refund.updated", {**pending, "status": "succeeded"}))) == (
        "no change"
    )

    assert Refund.objects.get().status == RefundStatus.FAILED
    assert paid.payment.refunded_amount == 0
    assert paid.payment.status == PaymentStatus.SUCCEEDED
    line_a.refresh_from_db()
    assert line_a.refunded_at is None
    assert cash() == TOTAL
    assert ledger.owed_to(paid.farmer_a) == PARCEL_A


# --- Events we do not act on ----------------------------------------------------------------------


def test_an_unknown_event_type_is_acknowledged_stored_and_ignored(placed):
    """A type we do not handle gets 200, so Stripe stops retrying; it is stored once like any
    event, and touches nothing."""
    event = make_event("customer.created", {"id": "cus_123", "object": "customer", "metadata": {}})

    assert outcome_of(post_event(placed.client, event)) == "ignored"
    assert outcome_of(post_event(placed.client, event)) == "duplicate"

    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.type, stored.outcome) == (event["id"], "customer.created", "ignored")
    assert stored.payload == event
    assert placed.payment.status == PaymentStatus.PENDING


def test_an_intent_that_is_not_ours_is_acknowledged_and_ignored(placed):
    """Another application's intent on the same Stripe account, even naming our payment's number
    in its metadata: acknowledged, nothing paid."""
    other = placed.stripe.v1.payment_intents.create(
        {
            "amount": 12830,
            "currency": "cny",
            "metadata": {"payment": str(placed.payment.pk), "checkout": str(uuid.uuid4())},
        }
    )
    assert confirm_with_card(placed.stripe, other.id, GOOD_CARD) is None
    intent = stripe_object(placed.stripe.v1.payment_intents.retrieve(other.id))

    assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", intent))) == "unknown payment"
    assert placed.payment.status == PaymentStatus.PENDING


def test_a_webhook_that_beats_our_write_of_the_intent_id_finds_the_payment_by_its_metadata(placed):
    """Stripe can call before our write of the intent's id commits; the intent's metadata (our
    payment and its checkout's UUID) finds the payment."""
    intent_id = placed.intent_id
    Payment.objects.filter(pk=placed.payment.pk).update(stripe_payment_intent=None)
    assert confirm_with_card(placed.stripe, intent_id, GOOD_CARD) is None
    intent = stripe_object(placed.stripe.v1.payment_intents.retrieve(intent_id))

    assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", intent))) == "paid"
    assert placed.refresh().status == OrderStatus.PAID


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", 12829), ("amount", 1283000), ("currency", "usd")],
    ids=["one-fen-short", "a-hundred-times-more", "other-currency"],
)
def test_a_success_for_another_amount_or_currency_does_not_pay(placed, field, value):
    """The money Stripe reports must be the order's total in fen and in CNY; otherwise the event is
    recorded (and logged as an error for a person to look at) but the order stays unpaid."""
    assert confirm_with_card(placed.stripe, placed.intent_id, GOOD_CARD) is None
    intent = {**placed.intent(), field: value}

    assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", intent))) == "amount mismatch"
    assert placed.refresh().status == OrderStatus.UNPAID
    assert ledger_state() == ()


NOT_EVENTS = {
    "not-json": b"this is not json",
    "truncated-json": b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {',
    "not-utf-8": b'{"id": "evt_\xff\xfe"}',
    "json-list": b"[]",
    "json-number": b"42",
    "json-null": b"null",
    "empty-object": b"{}",
    "no-data": b'{"id": "evt_1", "type": "payment_intent.succeeded"}',
    "data-not-object": b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": "x"}',
    "object-not-dict": b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": [1]}}',
    "id-not-string": b'{"id": 7, "type": "payment_intent.succeeded", "data": {"object": {}}}',
    "id-too-long": json.dumps({"id": "evt_" + "x" * 300, "type": "x.y", "data": {"object": {}}}).encode(),
    "type-not-string": b'{"id": "evt_1", "type": ["a"], "data": {"object": {}}}',
    "no-type": b'{"id": "evt_1", "data": {"object": {}}}',
    "nul-in-id": b'{"id": "evt_\\u0000", "type": "x.y", "data": {"object": {}}}',
    "thin-event": b'{"id": "evt_1", "object": "v2.core.event", "type": "v1.billing.meter.error_report_triggered"}',
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", NOT_EVENTS.values(), ids=NOT_EVENTS.keys())
def test_a_signed_body_that_is_not_an_event_is_refused_never_a_crash(placed, body):
    """Correctly signed, but not JSON or not an event: 400 (never a 500), nothing stored."""
    response = post_event(placed.client, body)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert placed.payment.status == PaymentStatus.PENDING


def test_an_event_with_odd_field_types_is_handled_without_a_crash(placed):
    """A well-formed event whose object has fields of unexpected types (a list where Stripe sends
    text): treated as missing, acknowledged, nothing paid."""
    odd = {"id": ["pi_x"], "metadata": "payment=1", "amount": "12830", "currency": 156, "last_payment_error": "x"}
    for event_type in ("payment_intent.succeeded", "payment_intent.payment_failed", "refund.updated"):
        response = post_event(placed.client, make_event(event_type, {**odd, "status": ["succeeded"]}))
        assert outcome_of(response) in ("unknown payment", "unknown refund")
    assert placed.payment.status == PaymentStatus.PENDING


def test_an_event_carrying_nul_characters_is_stored_and_handled(placed):
    """JSON may carry U+0000, which PostgreSQL can store neither in text nor in jsonb: the event is
    still acknowledged and stored once (NUL replaced in the stored copy), and a NUL inside an id
    is no id of ours."""
    event = make_event("customer.created", {"id": "cus_1", "name": "a\u0000b", "metadata": {"k\u0000": "v"}})
    assert outcome_of(post_event(placed.client, event)) == "ignored"
    assert WebhookEvent.objects.get().payload["data"]["object"]["name"] == "a\ufffdb"

    intent = {**placed.intent(), "id": placed.intent_id + "\u0000"}
    intent["metadata"] = {key: value + "\u0000" for key, value in intent["metadata"].items()}
    assert outcome_of(post_event(placed.client, make_event("payment_intent.succeeded", intent))) == "unknown payment"
    assert placed.payment.status == PaymentStatus.PENDING
