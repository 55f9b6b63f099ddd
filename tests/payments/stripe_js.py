"""Stripe.js's card confirmation, as localstripe should answer it: the browser half of a card payment.

Our payment page calls Stripe.js as on the real site:

    const stripe = Stripe(publishableKey);
    const card = stripe.elements().create('card');
    card.mount(element);
    const result = await stripe.confirmCardPayment(clientSecret, {payment_method: {card}});

localstripe serves a fake Stripe.js at `<localstripe>/js.stripe.com/v3/`, but its
`confirmCardPayment` ignores the card and only finishes a 3-D Secure step, so that call fails on an
intent still waiting for a card. The wrapper (localstripe_server.py) serves localstripe's script
with `stripe_js_confirm.js` appended, whose `confirmCardPayment` posts what real Stripe.js posts:
`POST /v1/payment_intents/<pi>/confirm` with the publishable key, the client secret and the card as
`payment_method_data`; `confirm_with_publishable_key` below answers it as Stripe's API does.

A test fills localstripe's card element through its five text inputs, found by their placeholders:
`number` (16 digits), `exp_month` (1-12), `exp_year` (two digits: "34" is 2034), `cvc` (3 digits)
and `postal_code` (any, may stay empty); see `fill_card`. Test cards, as on Stripe:
4242424242424242 pays; 4000000000000002 and 4000000000000341 are declined; 4000002500003155 asks
for 3-D Secure, shown as localstripe's box whose "Complete authentication" button pays (and
"Fail authentication" leaves the intent waiting for another card).
"""

from pathlib import Path

from aiohttp import web

SCRIPT = Path(__file__).with_name("stripe_js_confirm.js")

# Stripe's states in which a PaymentIntent may be confirmed.
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
# What real Stripe.js sends besides the card, which localstripe would refuse as unknown.
CLIENT_ONLY = ("key", "client_secret", "use_stripe_sdk", "expected_payment_method_type", "return_url")

CARD_INPUTS = ("number", "exp_month", "exp_year", "cvc", "postal_code")


class StripeJsError(Exception):
    """An answer Stripe gives Stripe.js instead of the intent: HTTP status and `error` body."""

    def __init__(self, status: int, **error):
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error

    def response(self) -> web.Response:
        return web.json_response({"error": self.error}, status=self.status)


def script(localstripe_script: str) -> str:
    """localstripe's fake Stripe.js followed by our `confirmCardPayment`: one classic script, so
    the addition sees its `Element` class, its `LOCALSTRIPE_BASE_API` and its `Stripe`."""
    return localstripe_script + "\n\n" + SCRIPT.read_text()


def confirm_with_publishable_key(intent_id: str, data: dict, publishable_key: str) -> dict:
    """Confirm the intent as Stripe's API does for a browser holding only the publishable key and
    the intent's client secret; returns the intent as Stripe.js receives it.

    The card in `payment_method_data` becomes a new PaymentMethod of the intent, replacing a
    declined one (a shopper may try another card). A declined card raises a 402 `card_error`
    carrying the intent, now back in `requires_payment_method`; localstripe has then scheduled
    `payment_intent.payment_failed`, as it schedules `payment_intent.succeeded` for a good card.
    Must run on localstripe's event loop (its store and webhook tasks live there)."""
    from localstripe.errors import UserError
    from localstripe.resources import PaymentMethod, store

    key = data.get("key")
    if key != publishable_key:
        raise StripeJsError(401, type="invalid_request_error", message=f"Invalid API Key provided: {str(key)[:12]}***")
    intent = store.get(f"payment_intent:{intent_id}")
    if intent is None:
        raise StripeJsError(
            404,
            type="invalid_request_error",
            code="resource_missing",
            param="intent",
            message=f"No such payment_intent: '{intent_id}'",
        )
    if data.get("client_secret") != intent.client_secret:
        raise StripeJsError(
            400,
            type="invalid_request_error",
            code="payment_intent_invalid_parameter",
            param="client_secret",
            message="The client_secret provided does not match the client_secret associated with the PaymentIntent.",
        )
    if intent.status not in CONFIRMABLE:
        raise StripeJsError(
            400,
            type="invalid_request_error",
            code="payment_intent_unexpected_state",
            message=(
                f"You cannot confirm this PaymentIntent because it has a status of {intent.status}. Only a "
                "PaymentIntent with one of the following statuses may be confirmed: " + ", ".join(CONFIRMABLE) + "."
            ),
            payment_intent=intent._export(),
        )
    unknown = set(data) - set(CLIENT_ONLY) - {"payment_method_data"}
    if unknown:
        raise StripeJsError(
            400, type="invalid_request_error", message=f"Received unknown parameter: {sorted(unknown)[0]}"
        )

    method_data = data.get("payment_method_data")
    if method_data is not None:
        method = _payment_method(PaymentMethod, UserError, method_data)
        intent.payment_method = method.id
        intent.next_action = None
        if intent.latest_charge is not None and intent.latest_charge.status == "failed":
            intent.latest_charge = None  # the declined card's charge: the new card starts afresh
    elif intent.payment_method is None:
        raise StripeJsError(
            400,
            type="invalid_request_error",
            code="payment_intent_unexpected_state",
            message="You cannot confirm this PaymentIntent because it's missing a payment method.",
        )

    try:
        intent._confirm(on_failure_now=intent._report_failure)
    except UserError as failure:  # the charge was declined: localstripe raises after scheduling the webhook
        if failure.code != 402:
            raise StripeJsError(failure.code, **failure.body["error"]) from failure
        charge = intent.latest_charge
        raise StripeJsError(
            402,
            type="card_error",
            code=charge.failure_code,
            decline_code="generic_decline",
            message=charge.failure_message,
            charge=charge.id,
            payment_method=PaymentMethod._api_retrieve(intent.payment_method)._export(),
            payment_intent=intent._export(),
        ) from failure
    return intent._export()


def _payment_method(payment_method_class, user_error, method_data):
    """A card PaymentMethod from Stripe.js's `payment_method_data`."""
    if not isinstance(method_data, dict) or method_data.get("type") != "card":
        raise StripeJsError(400, type="invalid_request_error", message="payment_method_data[type] must be card.")
    card = method_data.get("card")
    number = card.get("number") if isinstance(card, dict) else None
    if not (isinstance(number, str) and number.isdigit() and len(number) == 16):
        raise StripeJsError(
            402, type="card_error", code="incorrect_number", param="number", message="Your card number is incorrect."
        )
    fields = {key: method_data[key] for key in ("billing_details", "metadata") if key in method_data}
    try:
        method = payment_method_class(type="card", card=dict(card), **fields)
    except user_error as refused:
        raise StripeJsError(refused.code, **refused.body["error"]) from refused
    if method._attaching_is_declined():
        # localstripe declines these (4000000000000002, Stripe's "generic decline") only when a
        # card is attached to a customer; Stripe declines them when they are charged.
        method._charging_is_declined = lambda: True
    return method


def fill_card(page, number: str, exp_month: str = "12", exp_year: str = "34", cvc: str = "123", selector=""):
    """Type a card into localstripe's card element mounted in `page` (inside `selector`, if given),
    field by field as a shopper would, so its change events fire."""
    values = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}
    for name, value in values.items():
        page.locator(f"{selector} input[placeholder='{name}']".strip()).press_sequentially(value)
