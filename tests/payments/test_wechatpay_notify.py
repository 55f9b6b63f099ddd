"""WeChat Pay's notifies at POST /payments/wechatpay/notify/, signed and encrypted by the fake
WeChat Pay exactly as WeChat documents (tests/payments/wechatpay_fake.py), verified and decrypted by
our code through wechatpayv3: what is booked, what is refused and how, replays and disorder."""

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payments import gateways, shopper_payments
from payments.models import PaymentStatus, RefundStatus, WebhookEvent
from shop.models import OrderStatus
from shop.orders import cancel_order
from tests import factories

from .wechatpay_flow import TOTAL, TOTAL_FEN, opened_order, paid_order, payment_of, wechat_cash

pytestmark = pytest.mark.django_db


def refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == "FAIL"
    assert response.json()["message"]


def nothing_booked(order) -> None:
    payment = payment_of(order)
    assert payment.status == PaymentStatus.PENDING
    assert wechat_cash() == 0
    order.refresh_from_db()
    assert order.paid_at is None


def outcome(notify_id: str) -> str:
    return WebhookEvent.objects.get(event_id=f"wechatpay:{notify_id}").outcome


def test_a_paid_notify_books_the_payment_once_with_wechats_number(wechatpay_fake, client):
    order = opened_order()
    reference = order.payment.merchant_reference
    trade = wechatpay_fake.pay(reference)
    body, headers = wechatpay_fake.paid_notify(reference, notify_id="EV-1")

    response = wechatpay_fake.post(client, body, headers)

    assert response.status_code == 204
    payment = payment_of(order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == trade["transaction_id"]
    assert wechat_cash() == TOTAL
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert outcome("EV-1") == "paid"
    stored = WebhookEvent.objects.get(event_id="wechatpay:EV-1")
    assert stored.type == "TRANSACTION.SUCCESS"
    assert stored.payload["resource"]["out_trade_no"] == reference  # kept decrypted


def test_a_replay_and_a_resend_under_a_new_id_change_nothing(wechatpay_fake, client):
    order = opened_order()
    reference = order.payment.merchant_reference
    wechatpay_fake.pay(reference)
    first = wechatpay_fake.paid_notify(reference, notify_id="EV-A")
    assert wechatpay_fake.post(client, *first).status_code == 204

    assert wechatpay_fake.post(client, *first).status_code == 204  # the same delivery again
    assert wechatpay_fake.post(client, *wechatpay_fake.paid_notify(reference, notify_id="EV-B")).status_code == 204

    assert outcome("EV-A") == "paid"
    assert WebhookEvent.objects.filter(event_id="wechatpay:EV-A").count() == 1
    assert outcome("EV-B") == "already paid"
    assert wechat_cash() == TOTAL


def test_a_notify_signed_by_another_key_is_refused(wechatpay_fake, client):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body, _ = wechatpay_fake.paid_notify(order.payment.merchant_reference)
    refused(wechatpay_fake.post(client, *wechatpay_fake.sign_body(body, signing_key=stranger)), 401)
    nothing_booked(order)
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(wechatpay_fake, client):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, headers = wechatpay_fake.paid_notify(order.payment.merchant_reference)
    changed = json.loads(body)
    changed["id"] = "someone-elses-id"
    refused(wechatpay_fake.post(client, json.dumps(changed).encode(), headers), 401)
    nothing_booked(order)


def test_a_wrong_serial_is_refused(wechatpay_fake, client):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, _ = wechatpay_fake.paid_notify(order.payment.merchant_reference)
    unknown = wechatpay_fake.sign_body(body, serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    refused(wechatpay_fake.post(client, *unknown), 401)
    # A serial not seen yet makes the library fetch the platform certificates (WeChat rotates
    # them); the stranger's is not among them.
    assert wechatpay_fake.requests_to("/v3/certificates", method="GET")
    not_hex = wechatpay_fake.sign_body(body, serial="PUB_KEY_ID_nothex")
    refused(wechatpay_fake.post(client, *not_hex), 401)
    nothing_booked(order)


def test_in_public_key_mode_only_the_public_key_id_is_accepted(wechatpay_fake_public_key, client):
    fake = wechatpay_fake_public_key
    order = opened_order()
    fake.pay(order.payment.merchant_reference)
    body, _ = fake.paid_notify(order.payment.merchant_reference)
    refused(fake.post(client, *fake.sign_body(body, serial=fake.platform_serial)), 401)
    assert fake.requests_to("/v3/certificates", method="GET") == []
    assert fake.post(client, *fake.sign_body(body)).status_code == 204
    assert payment_of(order).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_notify_signed_more_than_five_minutes_away_is_refused(wechatpay_fake, client, age):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, _ = wechatpay_fake.paid_notify(order.payment.merchant_reference)
    old = wechatpay_fake.sign_body(body, timestamp=int(time.time()) - age)
    refused(wechatpay_fake.post(client, *old), 401)
    nothing_booked(order)


def test_a_notify_signed_four_minutes_ago_is_taken(wechatpay_fake, client):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, _ = wechatpay_fake.paid_notify(order.payment.merchant_reference)
    assert wechatpay_fake.post(client, *wechatpay_fake.sign_body(body, timestamp=int(time.time()) - 240)).status_code
    assert payment_of(order).status == PaymentStatus.SUCCEEDED


def test_missing_signature_headers_are_refused(wechatpay_fake, client):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, headers = wechatpay_fake.paid_notify(order.payment.merchant_reference)
    for name in ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"):
        refused(wechatpay_fake.post(client, body, {k: v for k, v in headers.items() if k != name}), 401)
    refused(wechatpay_fake.post(client, body, {**headers, "Wechatpay-Signature": "%%%not base64"}), 401)
    nothing_booked(order)


def malformed_bodies(fake, reference):
    """Bodies WeChat's signature covers (signed as given) that are still not notifies we can read."""
    body, _ = fake.paid_notify(reference)
    notify = json.loads(body)
    bad_base64 = {**notify, "resource": {**notify["resource"], "ciphertext": "@@not base64@@"}}
    wrong_key_body, _ = fake.notify(
        "TRANSACTION.SUCCESS", fake.transaction_resource(reference), "transaction", "支付成功", apiv3_key="k" * 32
    )
    flipped = bytearray(base64.b64decode(notify["resource"]["ciphertext"]))
    flipped[-1] ^= 1  # the GCM tag's last byte
    bad_tag = {**notify, "resource": {**notify["resource"], "ciphertext": base64.b64encode(bytes(flipped)).decode()}}
    not_json_inside = fake.notify("TRANSACTION.SUCCESS", {}, "transaction", "支付成功")[0]
    inner = json.loads(not_json_inside)
    return {
        "not JSON": b"<xml>not json</xml>",
        "truncated": body[: len(body) // 2],
        "empty": b"",
        "not UTF-8": b"\xff\xfe{}",
        "a list": b"[]",
        "no id": json.dumps({k: v for k, v in notify.items() if k != "id"}).encode(),
        "id not text": json.dumps({**notify, "id": 12}).encode(),
        "no resource": json.dumps({k: v for k, v in notify.items() if k != "resource"}).encode(),
        "resource not an object": json.dumps({**notify, "resource": "x"}).encode(),
        "no ciphertext": json.dumps({**notify, "resource": {**notify["resource"], "ciphertext": ""}}).encode(),
        "no nonce": json.dumps({**notify, "resource": {k: v for k, v in notify["resource"].items() if k != "nonce"}}),
        "another algorithm": json.dumps({**notify, "resource": {**notify["resource"], "algorithm": "AES_CBC"}}),
        "bad base64": json.dumps(bad_base64).encode(),
        "bad GCM tag": json.dumps(bad_tag).encode(),
        "another APIv3 key": wrong_key_body,
        "plain resource_type": json.dumps({**inner, "resource_type": "plain"}).encode(),
        "deep nesting": ("[" * 100000 + "]" * 100000).encode(),
    }


def test_malformed_or_truncated_signed_bodies_are_400_never_500(wechatpay_fake, client):
    order = opened_order()
    reference = order.payment.merchant_reference
    wechatpay_fake.pay(reference)
    for name, body in malformed_bodies(wechatpay_fake, reference).items():
        body = body.encode() if isinstance(body, str) else body
        response = wechatpay_fake.post(client, *wechatpay_fake.sign_body(body))
        assert response.status_code == 400, (name, response.status_code, response.content)
        assert response.json()["code"] == "FAIL", name
    nothing_booked(order)
    assert not WebhookEvent.objects.exists()


def test_a_resource_that_decrypts_to_something_else_than_an_object_is_400(wechatpay_fake, client):
    for plaintext in ("not json", "[1, 2]"):
        body, _ = wechatpay_fake.notify("TRANSACTION.SUCCESS", {}, "transaction", "x")
        notify = json.loads(body)
        nonce = "0123456789ab"
        ciphertext = AESGCM(wechatpay_fake.apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), b"x")
        notify["resource"].update(nonce=nonce, associated_data="x", ciphertext=base64.b64encode(ciphertext).decode())
        response = wechatpay_fake.post(client, *wechatpay_fake.sign_body(json.dumps(notify).encode()))
        assert response.status_code == 400, (plaintext, response.content)


def test_get_is_not_allowed(wechatpay_fake, client):
    assert client.get("/payments/wechatpay/notify/").status_code == 405


def test_unconfigured_the_endpoint_is_not_there(client, settings):
    settings.WECHATPAY_MCHID = ""
    assert client.post("/payments/wechatpay/notify/", b"{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"amount": {"total": TOTAL_FEN - 1, "payer_total": TOTAL_FEN - 1, "currency": "CNY", "payer_currency": "CNY"}},
        {"amount": {"total": TOTAL_FEN, "payer_total": TOTAL_FEN, "currency": "USD", "payer_currency": "USD"}},
        {"amount": {"total": "11530", "currency": "CNY"}},
        {"amount": "11530"},
    ],
    ids=["amount", "currency", "amount as text", "no amount object"],
)
def test_an_amount_or_currency_that_differs_from_the_order_is_not_booked(wechatpay_fake, client, change):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, headers = wechatpay_fake.paid_notify(order.payment.merchant_reference, notify_id="EV-M", **change)
    assert wechatpay_fake.post(client, body, headers).status_code == 204  # acknowledged: WeChat stops sending
    assert outcome("EV-M") == "amount mismatch"
    nothing_booked(order)


@pytest.mark.parametrize("change", [{"mchid": "1900000999"}, {"appid": "wx0000000000000000"}])
def test_a_notify_for_another_merchant_or_app_is_not_booked(wechatpay_fake, client, change):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    body, headers = wechatpay_fake.paid_notify(order.payment.merchant_reference, notify_id="EV-W", **change)
    assert wechatpay_fake.post(client, body, headers).status_code == 204
    assert outcome("EV-W") == "wrong merchant"
    nothing_booked(order)


def test_an_unknown_out_trade_no_is_acknowledged_and_recorded(wechatpay_fake, client):
    order = opened_order()
    wechatpay_fake.pay(order.payment.merchant_reference)
    resource = wechatpay_fake.transaction_resource(order.payment.merchant_reference, out_trade_no="0" * 32)
    body, headers = wechatpay_fake.notify("TRANSACTION.SUCCESS", resource, "transaction", "支付成功", notify_id="EV-U")
    assert wechatpay_fake.post(client, body, headers).status_code == 204
    assert outcome("EV-U") == "unknown payment"
    nothing_booked(order)


def test_an_event_type_we_do_not_handle_is_acknowledged(wechatpay_fake, client):
    body, headers = wechatpay_fake.notify("TRANSACTION.CLOSED", {"x": 1}, "transaction", "关闭", notify_id="EV-X")
    assert wechatpay_fake.post(client, body, headers).status_code == 204
    assert outcome("EV-X") == "ignored"


def test_money_for_a_cancelled_order_is_refunded_on_arrival(wechatpay_fake, client, django_capture_on_commit_callbacks):
    shopper = factories.user()
    order = opened_order(user=shopper)
    reference = order.payment.merchant_reference
    wechatpay_fake.pay(reference)  # the shopper paid, then cancelled before the notify came
    wechatpay_fake.fail_next("POST", "/close", 503)  # closing fails: the cancel goes ahead anyway
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(shopper, order)
    assert payment_of(order).status == PaymentStatus.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        response = wechatpay_fake.post(client, *wechatpay_fake.paid_notify(reference))

    assert response.status_code == 204
    payment = payment_of(order)
    [refund] = payment.refunds.all()
    assert refund.status == RefundStatus.PENDING  # queued at WeChat (PROCESSING)
    assert refund.amount == TOTAL and refund.includes_shipping
    [sent] = wechatpay_fake.requests_to("/v3/refund/domestic/refunds")
    assert sent["out_refund_no"] == refund.merchant_reference == f"{reference}R{refund.pk}"
    assert sent["amount"] == {"refund": TOTAL_FEN, "total": TOTAL_FEN, "currency": "CNY"}
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED

    # WeChat's refund notify settles it: the money is back, the ledger nets to nothing.
    assert wechatpay_fake.post(client, *wechatpay_fake.refund_notify(refund.merchant_reference)).status_code == 204
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.provider_reference == wechatpay_fake.refunds[refund.merchant_reference]["refund_id"]
    assert payment_of(order).status == PaymentStatus.REFUNDED
    assert wechat_cash() == 0


def test_refund_notifies_settle_the_refund_once_whatever_the_order(wechatpay_fake, client):
    order = paid_order(wechatpay_fake, client)
    refund = shopper_payments.refund_payment(factories.staff_user(), payment_of(order))
    assert refund.status == RefundStatus.PENDING

    success = wechatpay_fake.refund_notify(refund.merchant_reference, "SUCCESS", notify_id="R-1")
    assert wechatpay_fake.post(client, *success).status_code == 204
    assert wechatpay_fake.post(client, *success).status_code == 204  # replay
    late_closed = wechatpay_fake.refund_notify(refund.merchant_reference, "CLOSED", notify_id="R-2")
    assert wechatpay_fake.post(client, *late_closed).status_code == 204  # a settled refund never changes

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert outcome("R-1") == "refund succeeded"
    assert outcome("R-2") == "no change"
    assert wechat_cash() == 0


def test_an_abnormal_refund_releases_what_it_reserved(wechatpay_fake, client):
    order = paid_order(wechatpay_fake, client)
    refund = shopper_payments.refund_payment(factories.staff_user(), payment_of(order))
    assert wechatpay_fake.post(client, *wechatpay_fake.refund_notify(refund.merchant_reference, "ABNORMAL"))
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    payment = payment_of(order)
    assert payment.refunded_amount == 0 and payment.status == PaymentStatus.SUCCEEDED
    assert wechat_cash() == TOTAL


def test_a_refund_notify_before_the_payments_own_notify(wechatpay_fake, client):
    """The payment was booked from a query (its notify lost), refunded, and the refund's notify
    arrives before WeChat's retried payment notify: each does its part once."""
    order = opened_order()
    reference = order.payment.merchant_reference
    wechatpay_fake.pay(reference)
    late = wechatpay_fake.paid_notify(reference, notify_id="LATE")  # WeChat's retry carries what it first sent
    state = gateways.get("wechatpay").query(order.payment)
    assert shopper_payments.record_succeeded(
        order.payment.pk, amount=state.amount, provider_reference=state.provider_reference
    )
    refund = shopper_payments.refund_payment(factories.staff_user(), payment_of(order))

    assert wechatpay_fake.post(client, *wechatpay_fake.refund_notify(refund.merchant_reference)).status_code == 204
    assert wechatpay_fake.post(client, *late).status_code == 204

    assert outcome("LATE") == "already paid"
    assert payment_of(order).status == PaymentStatus.REFUNDED
    assert wechat_cash() == 0


def test_a_refund_notify_for_a_refund_we_never_made_is_acknowledged(wechatpay_fake, client):
    order = paid_order(wechatpay_fake, client)
    refund = shopper_payments.refund_payment(factories.staff_user(), payment_of(order))
    body, _ = wechatpay_fake.refund_notify(refund.merchant_reference, notify_id="R-X")
    # The same notify's content, naming an out_refund_no we never sent.
    resource = {**_decrypt(wechatpay_fake, json.loads(body)), "out_refund_no": "X" * 34}
    body, headers = wechatpay_fake.notify("REFUND.SUCCESS", resource, "refund", "退款成功", notify_id="R-Y")
    assert wechatpay_fake.post(client, body, headers).status_code == 204
    assert outcome("R-Y") == "unknown refund"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING


def _decrypt(fake, notify: dict) -> dict:
    resource = notify["resource"]
    plaintext = AESGCM(fake.apiv3_key.encode()).decrypt(
        resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode()
    )
    return json.loads(plaintext)
