"""The browser half of a card payment, against localstripe: Stripe.js's `confirmCardPayment` posts the
card with the publishable key and the intent's client secret, localstripe answers as Stripe does
(see stripe_js.py), and then posts its own signed webhook to the live test server, whose endpoint
verifies it with the `stripe` library and pays the order.

First over HTTP, doing what Stripe.js does (form-encoded, as it sends it); then once in Chromium,
with the fake Stripe.js mounting its card element and the shopper typing a card."""

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from payments.models import PaymentStatus, WebhookEvent
from shop import checkout as checkout_service
from shop.models import Order, OrderStatus
from tests import factories
from tests.shop import buying
from tests.waiting import wait_until

from .localstripe_server import PUBLISHABLE_KEY, SECRET_KEY
from .stripe_js import fill_card

GOOD_CARD = "4242424242424242"
DECLINED_CARDS = ("4000000000000341", "4000000000000002")  # declined at the charge; Stripe's generic decline
THREE_D_SECURE_CARD = "4000002500003155"


def open_intent(localstripe, amount: int = 12830):
    """A PaymentIntent as our gateway opens one (amount in fen, cny), waiting for a card."""
    return localstripe.client().v1.payment_intents.create({"amount": amount, "currency": "cny"})


def stripe_js_confirm(localstripe, intent_id, client_secret, number=GOOD_CARD, key=PUBLISHABLE_KEY, **extra):
    """POST /v1/payment_intents/<pi>/confirm as Stripe.js sends it: no secret key, the publishable
    key and the client secret in the form, the card as payment_method_data. Returns (status, body)."""
    params = {
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2034",
        "payment_method_data[card][cvc]": "123",
        "expected_payment_method_type": "card",
        "use_stripe_sdk": "true",
        "key": key,
        "client_secret": client_secret,
        **extra,
    }
    request = urllib.request.Request(  # noqa: S310 - localstripe's http:// address
        f"{localstripe.url}/v1/payment_intents/{intent_id}/confirm", data=urlencode(params).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def intent_at_stripe(localstripe, intent_id):
    return localstripe.client().v1.payment_intents.retrieve(intent_id)


# --- Over HTTP, as Stripe.js ----------------------------------------------------------------------


def test_a_good_card_confirmed_with_the_publishable_key_pays_the_intent(localstripe):
    intent = open_intent(localstripe)

    status, body = stripe_js_confirm(localstripe, intent.id, intent.client_secret)

    assert status == 200, body
    assert body["id"] == intent.id and body["status"] == "succeeded"
    stored = intent_at_stripe(localstripe, intent.id)
    assert stored.status == "succeeded"
    method = localstripe.client().v1.payment_methods.retrieve(stored.payment_method)
    assert method.type == "card" and method.card.last4 == "4242"
    assert stored.latest_charge.amount == 12830 and stored.latest_charge.status == "succeeded"


@pytest.mark.parametrize("number", DECLINED_CARDS)
def test_a_declined_card_is_a_card_error_and_the_intent_waits_for_another_card(localstripe, number):
    """Stripe's answer to Stripe.js: 402, a card_error with the decline, the intent back in
    requires_payment_method; another card can then pay it."""
    intent = open_intent(localstripe)

    status, body = stripe_js_confirm(localstripe, intent.id, intent.client_secret, number=number)

    assert status == 402, body
    error = body["error"]
    assert (error["type"], error["code"], error["message"]) == (
        "card_error",
        "card_declined",
        "Your card was declined.",
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["payment_intent"]["last_payment_error"]["code"] == "card_declined"
    assert intent_at_stripe(localstripe, intent.id).status == "requires_payment_method"

    status, body = stripe_js_confirm(localstripe, intent.id, intent.client_secret, number=GOOD_CARD)
    assert (status, body["status"]) == (200, "succeeded")


def test_a_wrong_client_secret_is_refused_and_changes_nothing(localstripe):
    intent = open_intent(localstripe)
    other = open_intent(localstripe)

    status, body = stripe_js_confirm(localstripe, intent.id, other.client_secret)

    assert status == 400, body
    assert body["error"]["code"] == "payment_intent_invalid_parameter"
    assert body["error"]["param"] == "client_secret"
    stored = intent_at_stripe(localstripe, intent.id)
    assert stored.status == "requires_payment_method" and stored.payment_method is None


@pytest.mark.parametrize("key", ["pk_test_someone_else", SECRET_KEY, ""])
def test_only_our_publishable_key_is_accepted(localstripe, key):
    intent = open_intent(localstripe)

    status, body = stripe_js_confirm(localstripe, intent.id, intent.client_secret, key=key)

    assert status == 401, body
    assert intent_at_stripe(localstripe, intent.id).status == "requires_payment_method"


def test_an_unknown_intent_is_not_found(localstripe):
    intent = open_intent(localstripe)
    status, body = stripe_js_confirm(localstripe, "pi_unknown", intent.client_secret)
    assert (status, body["error"]["code"]) == (404, "resource_missing")


def test_a_paid_intent_cannot_be_confirmed_again(localstripe):
    intent = open_intent(localstripe)
    assert stripe_js_confirm(localstripe, intent.id, intent.client_secret)[0] == 200

    status, body = stripe_js_confirm(localstripe, intent.id, intent.client_secret)

    assert status == 400, body
    assert body["error"]["code"] == "payment_intent_unexpected_state"
    assert len(localstripe.client().v1.charges.list().data) == 1


def test_a_3d_secure_card_requires_action_until_authenticated(localstripe):
    """What Stripe.js then does (localstripe's box, "Complete authentication") is localstripe's
    own /_authenticate with the publishable key and the client secret."""
    intent = open_intent(localstripe)

    status, body = stripe_js_confirm(localstripe, intent.id, intent.client_secret, number=THREE_D_SECURE_CARD)

    assert (status, body["status"]) == (200, "requires_action")
    assert body["next_action"]["type"] == "use_stripe_sdk"
    request = urllib.request.Request(  # noqa: S310
        f"{localstripe.url}/v1/payment_intents/{intent.id}/_authenticate?success=true",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret}).encode(),
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["status"] == "succeeded"


def test_the_secret_key_confirm_route_is_localstripes_own(localstripe):
    """The server-side confirm (secret key, no client secret) still reaches localstripe unchanged."""
    intent = open_intent(localstripe)
    stripe = localstripe.client()
    method = stripe.v1.payment_methods.create(
        {"type": "card", "card": {"number": GOOD_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    stripe.v1.payment_intents.update(intent.id, {"payment_method": method.id})
    assert stripe.v1.payment_intents.confirm(intent.id).status == "succeeded"


def test_the_script_at_js_stripe_com_is_localstripes_with_our_confirm(localstripe):
    with urllib.request.urlopen(f"{localstripe.url}/js.stripe.com/v3/", timeout=10) as response:  # noqa: S310
        script = response.read().decode()
        assert response.headers["Content-Type"].startswith("application/javascript")
    assert "class Element" in script  # localstripe's card element
    assert "/v1/payment_intents/${match[1]}/confirm" in script  # and our confirmCardPayment after it
    assert script.index("class Element") < script.index("const localstripeStripe = Stripe;")


# --- localstripe's own webhooks, to the live server -----------------------------------------------


def place_stripe_order(localstripe):
    """An order placed through our checkout services with paymentMethod stripe: its PaymentIntent
    is open at localstripe. Returns the service's PlacedOrder (order, client secret)."""
    variant = buying.variant(price="39.90", weight_kg="2.5")
    checkout = buying.ready_checkout([(variant, 2)], user=factories.user())
    placed = checkout_service.place_order(checkout.user, checkout, "stripe")
    assert placed.client_secret, "the Stripe gateway opened an intent"
    return placed


def order_status(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


@pytest.mark.django_db(transaction=True)
def test_localstripe_posts_signed_events_that_pay_the_order(localstripe_webhooks):
    placed = place_stripe_order(localstripe_webhooks)
    intent_id = placed.order.payment.stripe_payment_intent

    status, body = stripe_js_confirm(localstripe_webhooks, intent_id, placed.client_secret)
    assert (status, body["status"]) == (200, "succeeded")

    wait_until(lambda: order_status(placed.order) == OrderStatus.PAID, what="the order paid by localstripe's webhook")
    event = WebhookEvent.objects.get()
    assert (event.type, event.outcome) == ("payment_intent.succeeded", "paid")
    placed.order.payment.refresh_from_db()
    assert placed.order.payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_declined_card_reaches_the_order_as_a_failed_payment(localstripe_webhooks):
    placed = place_stripe_order(localstripe_webhooks)
    payment = placed.order.payment

    status, _body = stripe_js_confirm(
        localstripe_webhooks, payment.stripe_payment_intent, placed.client_secret, number=DECLINED_CARDS[0]
    )
    assert status == 402

    def payment_failed():
        payment.refresh_from_db()
        return payment.status == PaymentStatus.FAILED

    wait_until(payment_failed, what="the payment failed by localstripe's webhook")
    assert payment.failure_message == "Your card was declined."
    assert order_status(placed.order) == OrderStatus.UNPAID


@pytest.mark.django_db(transaction=True)
def test_a_webhook_still_on_its_way_when_a_test_ends_is_dropped(localstripe_webhooks, live_server):
    """localstripe sends each event a second after the charge, to the webhooks registered then;
    clearing them (as each test's reset does) drops the deliveries still waiting, so an event of
    one test never reaches the endpoint the next test registers."""
    placed = place_stripe_order(localstripe_webhooks)
    intent_id = placed.order.payment.stripe_payment_intent
    assert stripe_js_confirm(localstripe_webhooks, intent_id, placed.client_secret)[0] == 200

    localstripe_webhooks.clear_webhooks()
    localstripe_webhooks.add_webhook(live_server.url + reverse("payments:stripe-webhook"))  # "the next test"

    with pytest.raises(AssertionError, match="waited 2 s"):
        wait_until(WebhookEvent.objects.exists, timeout=2)
    assert order_status(placed.order) == OrderStatus.UNPAID


# --- In Chromium ----------------------------------------------------------------------------------

PAY_PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8">
<script src="{localstripe}/js.stripe.com/v3/"></script></head>
<body>
<form id="pay"><div id="card"></div><button type="submit">付款</button><p id="outcome"></p></form>
<script>
  const stripe = Stripe("{publishable_key}");
  const card = stripe.elements().create("card");
  card.mount("#card");
  document.getElementById("pay").addEventListener("submit", async (event) => {{
    event.preventDefault();
    const result = await stripe.confirmCardPayment("{client_secret}", {{payment_method: {{card}}}});
    document.getElementById("outcome").textContent =
      result.error ? "error:" + result.error.code : "status:" + result.paymentIntent.status;
  }});
</script>
</body></html>"""


@pytest.mark.django_db(transaction=True)
def test_a_shopper_types_a_card_in_the_browser_and_the_webhook_pays_the_order(localstripe_webhooks, browser):
    """The production page's calls, in Chromium: Stripe(pk), elements().create('card'), mount,
    confirmCardPayment(clientSecret, {payment_method: {card}}); then localstripe's webhook reaches
    the live server and the order is paid."""
    placed = place_stripe_order(localstripe_webhooks)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.set_content(
            PAY_PAGE.format(
                localstripe=localstripe_webhooks.url,
                publishable_key=PUBLISHABLE_KEY,
                client_secret=placed.client_secret,
            )
        )
        fill_card(page, DECLINED_CARDS[0], selector="#card")
        page.get_by_role("button", name="付款").click()
        page.wait_for_function("document.getElementById('outcome').textContent !== ''")
        assert page.locator("#outcome").inner_text() == "error:card_declined"

        page.locator("#card input[placeholder='number']").fill("")
        page.locator("#card input[placeholder='number']").press_sequentially(GOOD_CARD)
        page.evaluate("document.getElementById('outcome').textContent = ''")
        page.get_by_role("button", name="付款").click()
        page.wait_for_function("document.getElementById('outcome').textContent !== ''")
        assert page.locator("#outcome").inner_text() == "status:succeeded"
    finally:
        context.close()

    wait_until(lambda: order_status(placed.order) == OrderStatus.PAID, what="the order paid by localstripe's webhook")
    assert set(WebhookEvent.objects.values_list("type", "outcome")) == {
        ("payment_intent.payment_failed", "failed"),
        ("payment_intent.succeeded", "paid"),
    }


@pytest.mark.django_db(transaction=True)
def test_a_3d_secure_card_is_finished_in_localstripes_authentication_box(localstripe_webhooks, browser):
    """Stripe answers requires_action; Stripe.js shows the bank's check, here localstripe's box,
    whose "Complete authentication" pays."""
    placed = place_stripe_order(localstripe_webhooks)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.set_content(
            PAY_PAGE.format(
                localstripe=localstripe_webhooks.url,
                publishable_key=PUBLISHABLE_KEY,
                client_secret=placed.client_secret,
            )
        )
        fill_card(page, THREE_D_SECURE_CARD, selector="#card")
        page.get_by_role("button", name="付款").click()
        page.get_by_role("button", name="Complete authentication").click()
        page.wait_for_function("document.getElementById('outcome').textContent !== ''")
        assert page.locator("#outcome").inner_text() == "status:succeeded"
    finally:
        context.close()

    wait_until(lambda: order_status(placed.order) == OrderStatus.PAID, what="the order paid by localstripe's webhook")
