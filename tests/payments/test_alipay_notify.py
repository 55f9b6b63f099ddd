"""Alipay's async notify (POST /payments/alipay/notify/): signed by the fake Alipay with its key
exactly as Alipay documents (tests/payments/alipay_fake.py), verified by our code through
python-alipay-sdk. Handled notifies are answered "success" (Alipay repeats a notify until it reads
that); anything not signed by Alipay for us, or not well formed, 400 "fail", changing nothing."""

import logging
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest

from payments import ledger, shopper_payments
from payments.models import LedgerTransaction, Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from shop.models import OrderStatus
from shop.orders import cancel_order
from tests import factories
from tests.payments.alipay_fake import NOTIFY_PATH, SELLER_ID, new_key
from tests.shop.buying import two_farmer_order

pytestmark = pytest.mark.django_db

TOTAL = Decimal("115.30")


def placed(user=None):
    order, *_ = two_farmer_order(user=user, payment_method="alipay")
    return order


def answer(response) -> str:
    assert response["Content-Type"].startswith("text/plain")
    return f"{response.status_code} {response.content.decode()}"


def outcome(notify: dict) -> str:
    return WebhookEvent.objects.get(event_id=f"alipay:{notify['notify_id']}").outcome


def ledger_keys() -> list:
    return sorted(LedgerTransaction.objects.values_list("key", flat=True))


def cash() -> Decimal:
    return ledger.balance(ledger.cash_account("alipay"))


# --- Paying --------------------------------------------------------------------------------------


def test_a_signed_payment_notify_pays_the_order_once_and_keeps_alipays_number(alipay, client):
    order = placed()
    trade = alipay.shopper_pays(order.payment)
    notify = alipay.paid_notify(order.payment)

    assert answer(alipay.post_notify(client, notify)) == "200 success"

    payment = Payment.objects.get(pk=order.payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == trade.trade_no
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert cash() == TOTAL
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.type, event.outcome) == (
        f"alipay:{notify['notify_id']}",
        "alipay.TRADE_SUCCESS",
        "paid",
    )
    assert event.payload["out_trade_no"] == payment.merchant_reference


def test_a_replayed_notify_changes_nothing(alipay, client):
    order = placed()
    notify = alipay.paid_notify(order.payment)
    alipay.post_notify(client, notify)
    before = ledger_keys()

    assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert ledger_keys() == before
    assert WebhookEvent.objects.count() == 1
    assert outcome(notify) == "paid"


def test_a_second_notify_for_the_same_payment_books_nothing(alipay, client):
    """TRADE_FINISHED comes later under its own notify_id: the payment is already booked."""
    order = placed()
    alipay.post_notify(client, alipay.paid_notify(order.payment))
    before = ledger_keys()
    finished = alipay.paid_notify(order.payment, trade_status="TRADE_FINISHED")

    assert answer(alipay.post_notify(client, finished)) == "200 success"

    assert outcome(finished) == "already paid"
    assert ledger_keys() == before


def test_a_notify_after_our_own_query_booked_the_payment_books_nothing(alipay, client):
    order = placed()
    state = alipay.shopper_pays(order.payment)
    assert shopper_payments.record_succeeded(order.payment.pk, amount=TOTAL, provider_reference=state.trade_no)
    notify = alipay.paid_notify(order.payment)

    assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert outcome(notify) == "already paid"
    assert LedgerTransaction.objects.filter(key=f"payment:{order.payment.pk}").count() == 1


def test_a_notify_for_another_amount_does_not_pay(alipay, client, caplog):
    order = placed()
    notify = alipay.paid_notify(order.payment, total_amount="0.01")

    with caplog.at_level(logging.ERROR, logger="payments.alipay_events"):
        assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert outcome(notify) == "amount mismatch"
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.PENDING
    assert ledger_keys() == []
    assert "'0.01' received" in caplog.text


def test_a_notify_for_a_trade_we_do_not_know_is_acknowledged_and_logged(alipay, client, caplog):
    order = placed()
    notify = alipay.paid_notify(order.payment, out_trade_no="f" * 32)

    with caplog.at_level(logging.WARNING, logger="payments.alipay_events"):
        assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert outcome(notify) == "unknown payment"
    assert "unknown out_trade_no" in caplog.text
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.PENDING


def test_a_closed_trade_changes_nothing(alipay, client):
    order = placed()
    notify = alipay.paid_notify(order.payment, trade_status="TRADE_CLOSED")

    assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert outcome(notify) == "closed"
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.PENDING


def test_money_for_a_cancelled_order_goes_straight_back(alipay, client, django_capture_on_commit_callbacks):
    """The shopper cancelled while still at Alipay's cashier, then paid: the notify books the
    payment and the order's receiver refunds it in full at Alipay, after the commit."""
    shopper = factories.user()
    order = placed(shopper)
    cancel_order(shopper, order)
    alipay.shopper_pays(order.payment)

    with django_capture_on_commit_callbacks(execute=True):
        assert answer(alipay.post_notify(client, alipay.paid_notify(order.payment))) == "200 success"

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED
    assert alipay.trades[order.payment.merchant_reference].refunds == {refund.merchant_reference: TOTAL}
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.REFUNDED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert cash() == 0


# --- Refund notifies -----------------------------------------------------------------------------


def paid_order(alipay, client):
    order = placed()
    alipay.shopper_pays(order.payment)
    alipay.post_notify(client, alipay.paid_notify(order.payment))
    return order


def test_a_refund_notify_before_alipays_answer_settles_the_refund_once(alipay, client):
    """Alipay's refund notify can beat its own answer to our refund call: the notify settles the
    refund; the answer that follows changes nothing."""
    order = paid_order(alipay, client)
    posted = []

    def notify_first(method):
        if method == "alipay.trade.refund" and not posted:
            refund = Refund.objects.get()
            assert refund.status == RefundStatus.PENDING
            posted.append(alipay.refund_notify(refund))
            assert answer(alipay.post_notify(client, posted[0])) == "200 success"

    alipay.before_answer = notify_first
    refund = shopper_payments.refund_payment(factories.staff_user(), Payment.objects.get(pk=order.payment.pk))

    assert outcome(posted[0]) == "refund succeeded"
    assert WebhookEvent.objects.get(event_id=f"alipay:{posted[0]['notify_id']}").type == "alipay.refund"
    assert refund.status == RefundStatus.SUCCEEDED
    assert LedgerTransaction.objects.filter(key=f"refund:{refund.pk}").count() == 1
    assert cash() == 0


def test_a_refund_notify_after_the_answer_and_its_replay_change_nothing(alipay, client):
    order = paid_order(alipay, client)
    refund = shopper_payments.refund_payment(factories.staff_user(), Payment.objects.get(pk=order.payment.pk))
    before = ledger_keys()
    notify = alipay.refund_notify(refund)

    assert answer(alipay.post_notify(client, notify)) == "200 success"
    assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert outcome(notify) == "no change"
    assert ledger_keys() == before


def test_a_refund_made_by_hand_in_alipays_console_is_logged_not_booked(alipay, client, caplog):
    order = paid_order(alipay, client)
    notify = alipay.paid_notify(order.payment, out_biz_no="HAND-1", refund_fee="10.00", trade_status="TRADE_SUCCESS")
    before = ledger_keys()

    with caplog.at_level(logging.ERROR, logger="payments.alipay_events"):
        assert answer(alipay.post_notify(client, notify)) == "200 success"

    assert outcome(notify) == "unknown refund"
    assert "'HAND-1' is not ours" in caplog.text
    assert ledger_keys() == before


# --- Refused -------------------------------------------------------------------------------------


def test_a_notify_signed_with_another_key_is_refused(alipay, client):
    order = placed()
    notify = alipay.sign_notify(alipay.paid_notify(order.payment), key=new_key())

    assert answer(alipay.post_notify(client, notify)) == "400 fail"

    assert WebhookEvent.objects.count() == 0
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    "change",
    [
        {"total_amount": "0.01"},
        {"trade_status": "TRADE_SUCCESS", "out_trade_no": "0" * 32},
        {"extra": "added after signing"},
        {"sign": "bm90IGEgc2lnbmF0dXJl"},
        {"sign": "%%%not base64%%%"},
        {"sign": ""},
        {"sign_type": "RSA"},
    ],
)
def test_a_notify_changed_after_signing_is_refused(alipay, client, change):
    order = placed()
    alipay.shopper_pays(order.payment)
    notify = {**alipay.paid_notify(order.payment), **change}

    assert answer(alipay.post_notify(client, notify)) == "400 fail"
    assert WebhookEvent.objects.count() == 0


def test_a_notify_without_a_signature_is_refused(alipay, client):
    notify = alipay.paid_notify(placed().payment)
    del notify["sign"]

    assert answer(alipay.post_notify(client, notify)) == "400 fail"


def test_a_notify_for_another_app_is_refused(alipay, client):
    """Signed by Alipay, but for another APPID (another app of the merchant sharing the URL)."""
    notify = alipay.paid_notify(placed().payment, app_id="2021000000009999")

    assert answer(alipay.post_notify(client, notify)) == "400 fail"
    assert WebhookEvent.objects.count() == 0


def test_with_a_seller_set_a_notify_for_another_seller_is_refused(alipay, client, settings):
    settings.ALIPAY_SELLER_ID = SELLER_ID
    payment = placed().payment

    assert answer(alipay.post_notify(client, alipay.paid_notify(payment, seller_id="2088999999999999"))) == "400 fail"
    assert answer(alipay.post_notify(client, alipay.paid_notify(payment))) == "200 success"


def signed_body(alipay, payment) -> str:
    return urlencode(alipay.paid_notify(payment))


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("empty", lambda body: ""),
        ("truncated in an escape", lambda body: body[: body.index("%") + 2]),
        ("truncated in the signature", lambda body: body[:-10]),
        ("truncated before the signature", lambda body: body[: body.index("&sign=")]),
        ("not UTF-8 once decoded", lambda body: body + "&x=" + quote("山货".encode("gbk"))),
        ("raw bytes outside ASCII", lambda body: body.encode() + "&x=山".encode("gbk")),
        ("a field twice", lambda body: body + "&total_amount=0.01"),
        ("a field without =", lambda body: body + "&dangling"),
        ("a NUL character", lambda body: body + "&x=%00"),
        ("JSON", lambda body: '{"trade_status": "TRADE_SUCCESS"}'),
    ],
)
def test_a_malformed_body_is_refused_never_a_crash(alipay, client, name, body):
    payment = placed().payment
    raw = body(signed_body(alipay, payment))

    assert answer(alipay.post_notify(client, raw)) == "400 fail", name
    assert WebhookEvent.objects.count() == 0
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


def test_a_signed_notify_missing_what_every_notify_carries_is_refused(alipay, client):
    payment = placed().payment
    for missing in ("notify_id", "out_trade_no"):
        notify = alipay.sign_notify({k: v for k, v in alipay.paid_notify(payment).items() if k != missing})
        assert answer(alipay.post_notify(client, notify)) == "400 fail", missing
    assert WebhookEvent.objects.count() == 0


def test_another_charset_is_refused_clearly(alipay, client, caplog):
    """We ask Alipay for utf-8; a GBK notify could not verify (the SDK checks UTF-8 text)."""
    payment = placed().payment
    body = signed_body(alipay, payment)
    gbk = alipay.paid_notify(payment, charset="gbk")

    with caplog.at_level(logging.WARNING, logger="payments.views"):
        by_header = alipay.post_notify(client, body, content_type="application/x-www-form-urlencoded; charset=GBK")
        by_field = alipay.post_notify(client, gbk)
    utf8_header = alipay.post_notify(client, body, content_type="application/x-www-form-urlencoded; charset=UTF-8")

    assert answer(by_header) == "400 fail"
    assert answer(by_field) == "400 fail"
    assert "charset 'gbk' is not supported" in caplog.text
    assert answer(utf8_header) == "200 success"


def test_chinese_text_in_a_notify_verifies(alipay, client):
    notify = alipay.paid_notify(placed().payment, subject="云南高山红糖 · 5斤装", body="山货&小村=好")

    assert answer(alipay.post_notify(client, notify)) == "200 success"
    assert outcome(notify) == "paid"


def test_only_post_is_accepted(alipay, client):
    assert client.get(NOTIFY_PATH).status_code == 405


def test_without_configuration_the_endpoint_is_off(alipay, client, settings):
    notify = alipay.paid_notify(placed().payment)
    settings.ALIPAY_APP_ID = ""

    assert alipay.post_notify(client, notify).status_code == 404
