"""localstripe, a stateful fake of Stripe's HTTP API, run by the tests themselves.

localstripe stands in for Stripe's live API, the true network edge of our payments: the official
`stripe` library talks HTTP to it exactly as it would to api.stripe.com, so our gateway code runs
unchanged. It is started once per test session, on 127.0.0.1 on a port the OS picks, in a thread
of the test process; each test starts from an empty store; it is stopped when the session ends.

What it lacks, this wrapper adds for the tests (never the production code):

- it records every request it receives (method, path, Idempotency-Key header, form parameters),
  because localstripe ignores idempotency keys, so what we sent is checked from the record;
- `outage(path)` answers POSTs to a path with HTTP 503, as Stripe does when it is in trouble;
- `refunds_settle_later` makes new refunds `pending` (Stripe's asynchronous refunds) until the
  test settles them with `settle_refund`; localstripe's refunds otherwise succeed at once;
- a declined intent can be tried again with another card, as on Stripe: localstripe keeps the
  failed charge as the intent's latest, so the intent would never leave `requires_payment_method`;
  here giving it a new payment method drops that charge, and it can be confirmed again;
- Stripe.js's `confirmCardPayment(clientSecret, {payment_method: {card}})` works as on Stripe: the
  script at `<url>/js.stripe.com/v3/` posts the card with the publishable key, and the confirm
  route answers such a call as Stripe's API does (see stripe_js.py, which also says how a test
  types a card into the fake card element);
- `add_webhook(url)` has localstripe itself post its signed events (about a second after the
  charge) to our endpoint, as Stripe does; the `localstripe_webhooks` fixture points it at the
  live test server. Deliveries still waiting when a test ends are dropped, never sent to the next.

localstripe keeps all its state in module globals, so at most one runs per process.
"""

import asyncio
import contextlib
import json
import re
import threading
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import stripe
from aiohttp import web
from django.urls import reverse

from . import stripe_js

SECRET_KEY = "sk_test_shanhuo_localstripe"
PUBLISHABLE_KEY = "pk_test_shanhuo_localstripe"
WEBHOOK_SECRET = "whsec_test_shanhuo_localstripe"
WEBHOOK_TOLERANCE = 300
INTENT_UPDATE = re.compile(r"/v1/payment_intents/(?P<id>pi_\w+)")
INTENT_CONFIRM = re.compile(r"/v1/payment_intents/(?P<id>pi_\w+)/confirm")
STRIPE_JS = "/js.stripe.com/v3/"
# The events our endpoint acts on for card payments.
PAYMENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


def _localstripe():
    """localstripe's modules; importing its server emits aiohttp's "Bare functions are
    deprecated" warning once (its handlers are plain functions), which is not ours to fix."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe import resources, server
    return resources, server


def _is_webhook_delivery(task: asyncio.Task) -> bool:
    from localstripe import webhooks

    return getattr(task.get_coro(), "cr_code", None) is webhooks._send_webhook.__code__


@dataclass
class Request:
    method: str
    path: str
    idempotency_key: str | None
    params: dict = field(default_factory=dict)


class LocalStripe:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.url = ""
        self.requests: list[Request] = []
        self.refunds_settle_later = False
        self._outages: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._saved_dump = None

    # --- Running ------------------------------------------------------------------------------

    def _application(self) -> web.Application:
        """A fresh Application with localstripe's routes: its module-level `app` binds itself to
        the first event loop that runs it, so it cannot be started twice in one process."""
        _resources, server = _localstripe()

        @web.middleware
        async def test_middleware(request, handler):
            return await self._intercept(request, handler)

        app = web.Application(
            middlewares=[
                test_middleware,
                server.error_middleware,
                server.auth_middleware,
                server.save_store_middleware,
            ]
        )
        app.on_response_prepare.append(server.add_cors_headers)
        for route in server.app.router.routes():
            if route.resource.canonical != STRIPE_JS:
                app.router.add_route(route.method, route.resource.canonical, route.handler)
        script = stripe_js.script(Path(server.__file__).with_name("localstripe-v3.js").read_text())

        async def stripe_js_script(request):
            return web.Response(text=script, content_type="application/javascript")

        app.router.add_get(STRIPE_JS, stripe_js_script)
        return app

    def start(self) -> "LocalStripe":
        resources, _server = _localstripe()
        # Every write would pickle the whole store to /tmp/localstripe.pickle: not in tests.
        self._saved_dump = resources.Store.dump_to_disk
        resources.Store.dump_to_disk = lambda store: None
        resources.store.clear()
        self.url = ""
        ready = threading.Event()

        def run():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            runner = web.AppRunner(self._application(), access_log=None)
            try:
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, host=self.host, port=0)
                loop.run_until_complete(site.start())
                host, port = runner.addresses[0][:2]
                self.url = f"http://{host}:{port}"
            finally:
                ready.set()  # a failure propagates and ends the thread; start() reports it
            try:
                loop.run_forever()
            finally:
                # localstripe schedules a task per event for its webhooks (see add_webhook):
                # cancel the ones still sleeping, then close.
                pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(runner.cleanup())
                loop.close()

        self._thread = threading.Thread(target=run, name="localstripe", daemon=True)
        self._thread.start()
        if not ready.wait(10) or not self.url:
            resources.Store.dump_to_disk = self._saved_dump
            raise RuntimeError("localstripe did not start (see the localstripe thread's error)")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if self._saved_dump is not None:
            resources, _server = _localstripe()
            resources.Store.dump_to_disk = self._saved_dump

    def _on_loop(self, function):
        """Run `function` in the server's thread, between requests, and return its result."""

        async def call():
            return function()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(10)

    def reset(self) -> None:
        """An empty store, no recorded requests, no outage, refunds succeeding at once, no webhook
        registered or on its way."""
        resources, _server = _localstripe()
        self.clear_webhooks()
        self._on_loop(resources.store.clear)
        self.requests.clear()
        self._outages.clear()
        self.refunds_settle_later = False

    # --- What the tests add -------------------------------------------------------------------

    async def _intercept(self, request, handler):
        params = dict(await request.post()) if request.method == "POST" else dict(request.query)
        self.requests.append(Request(request.method, request.path, request.headers.get("Idempotency-Key"), params))
        if request.method == "POST" and request.path in self._outages:
            message = "localstripe outage (test)"
            return web.json_response({"error": {"type": "api_error", "message": message}}, status=503)
        public_confirm = INTENT_CONFIRM.fullmatch(request.path)
        if request.method == "POST" and public_confirm and "Authorization" not in request.headers:
            return await self._confirm_with_publishable_key(request, public_confirm["id"])
        retry = INTENT_UPDATE.fullmatch(request.path)
        if request.method == "POST" and retry and "payment_method" in params:
            intent = self._stored_or_none("payment_intent", retry["id"])
            if intent is not None and intent.latest_charge is not None and intent.latest_charge.status == "failed":
                intent.latest_charge = None
        response = await handler(request)
        settle_later = self.refunds_settle_later and request.method == "POST" and request.path == "/v1/refunds"
        if settle_later and response.status == 200:
            refund = self._stored("refund", json.loads(response.body)["id"])
            refund.status = "pending"
            response = web.json_response(refund._export())
        return response

    @staticmethod
    async def _confirm_with_publishable_key(request, intent_id: str) -> web.Response:
        """Stripe.js's confirm (see stripe_js.py); localstripe's own route takes only the secret key."""
        _resources, server = _localstripe()
        data = await server.get_post_data(request, remove_auth=False) or {}
        try:
            intent = stripe_js.confirm_with_publishable_key(intent_id, data, PUBLISHABLE_KEY)
        except stripe_js.StripeJsError as error:
            return error.response()
        return web.json_response(intent)

    @staticmethod
    def _stored(kind: str, object_id: str):
        resources, _server = _localstripe()
        return resources.store[f"{kind}:{object_id}"]

    @staticmethod
    def _stored_or_none(kind: str, object_id: str):
        resources, _server = _localstripe()
        return resources.store.get(f"{kind}:{object_id}")

    def settle_refund(self, refund_id: str, status: str) -> None:
        """Stripe's later word on a pending refund: `succeeded` or `failed`."""

        def settle():
            self._stored("refund", refund_id).status = status

        self._on_loop(settle)

    @contextlib.contextmanager
    def outage(self, path: str):
        """POSTs to `path` fail with HTTP 503 inside the block."""
        self._outages.add(path)
        try:
            yield
        finally:
            self._outages.discard(path)

    def add_webhook(self, url: str, events=PAYMENT_EVENTS, name: str = "shanhuo") -> None:
        """Have localstripe post its events of these types to `url`, signed with WEBHOOK_SECRET, as
        a Stripe webhook endpoint does; registered through localstripe's own configuration route."""
        params = [("url", url), ("secret", WEBHOOK_SECRET), *(("events[]", event) for event in events)]
        address = f"{self.url}/_config/webhooks/{name}"  # localstripe's own http:// address
        request = urllib.request.Request(address, data=urlencode(params).encode())  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 200, response.read()

    def clear_webhooks(self) -> None:
        """No webhook registered, and the deliveries localstripe still holds (each waits a second
        before it is sent) dropped."""
        from localstripe import webhooks

        def clear():
            webhooks._webhooks.clear()
            for task in asyncio.all_tasks():
                if _is_webhook_delivery(task):
                    task.cancel()

        self._on_loop(clear)

    def requests_to(self, method: str, path: str) -> list[Request]:
        return [request for request in self.requests if request.method == method and request.path == path]

    def client(self) -> stripe.StripeClient:
        """Our own view of "Stripe", for the shopper's side (confirming with a card) and for
        reading back what localstripe stored."""
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url}, max_network_retries=0)


@pytest.fixture(scope="session")
def localstripe_server():
    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """localstripe, emptied, with Django's Stripe settings pointing at it."""
    localstripe_server.reset()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = WEBHOOK_TOLERANCE
    settings.STRIPE_API_BASE = localstripe_server.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # a failure is seen at once, never retried into a slow test
    settings.PLATFORM_FEE_PERCENT = "0"  # the ledger assertions compare with parcel totals
    return localstripe_server


@pytest.fixture
def localstripe_webhooks(localstripe, live_server):
    """localstripe, as `localstripe`, posting its signed payment_intent.succeeded and
    payment_intent.payment_failed events to the live test server's Stripe webhook, about a second
    after each charge. Wait for their effect with tests.waiting.wait_until."""
    localstripe.add_webhook(live_server.url + reverse("payments:stripe-webhook"))
    yield localstripe
    localstripe.clear_webhooks()
