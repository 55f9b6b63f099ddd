"""Payouts to a farmer's WeChat balance (商家转账): who is paid by WeChat, the transfer as WeChat Pay
receives it, retries that never pay twice, the farmer's confirmation, failures that give the money
back, the periodic query and the signed notify. WeChat Pay is the fake in `wechatpay_transfer_fake`
(real signatures both ways); `wechatpayv3` runs unchanged."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from payments import ledger, payout_destinations, payout_methods, payout_sending, payouts, tasks
from payments.models import LedgerTransaction, Payout, PayoutDestination, PayoutStatus, WebhookEvent
from payments.payout_methods import wechat_transfer
from tests import factories as f

from .test_payout_methods import farmer_a_owed, run_and_commit
from .test_payouts import A_OWED, B_OWED, assert_books_balance, in_transit
from .wechatpay_transfer_fake import APPID, TIMEOUT, WeChatPayFake

pytestmark = pytest.mark.django_db

OPENID_A = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NOTIFY = "/payments/wechatpay/transfer-notify/"


@pytest.fixture
def wechat(settings, tmp_path):
    fake = WeChatPayFake(tmp_path)
    fake.configure(settings)
    fake.start()
    yield fake
    fake.stop()


def bound(farmer, openid=OPENID_A):
    return payout_destinations.bind_wechat(farmer.user, farmer, openid)


def wechat_cash():
    return ledger.balance(ledger.cash_account("wechatpay"))


def a_bound_and_owed():
    farmer_a = farmer_a_owed()
    bound(farmer_a)
    return farmer_a


# --- Who is paid by WeChat ------------------------------------------------------------------------


def test_a_bound_farmer_is_paid_by_wechat_and_an_unbound_one_by_bank(
    wechat, settings, django_capture_on_commit_callbacks
):
    settings.PAYOUT_MINIMUM = "10.00"
    farmer_a = a_bound_and_owed()  # farmer B of the same order has bound nothing

    made, callbacks = run_and_commit(django_capture_on_commit_callbacks)

    by_farmer = {payout.farmer: payout for payout in made}
    a_payout = by_farmer[farmer_a]
    (b_payout,) = [payout for farmer, payout in by_farmer.items() if farmer != farmer_a]
    assert (a_payout.method, a_payout.amount) == ("wechat_transfer", A_OWED)
    assert (b_payout.method, b_payout.amount) == ("bank_transfer", B_OWED)
    assert len(callbacks) == 1, "only the WeChat payout is sent by us"
    (sent,) = wechat.requests
    assert sent["body"] == {
        "out_bill_no": f"SHP{a_payout.account_id}N1",
        "transfer_scene_id": "1005",
        "openid": OPENID_A,
        "transfer_amount": 9480,
        "transfer_remark": "山货货款 第1笔",
        "transfer_scene_report_infos": [
            {"info_type": "岗位类型", "info_content": "农产品供货"},
            {"info_type": "报酬说明", "info_content": "山货货款"},
        ],
        "appid": APPID,
        "notify_url": "https://shanhuo.example.cn/payments/wechatpay/transfer-notify/",
    }
    # Taken by WeChat Pay, waiting for the farmer to confirm receipt: on its way, nothing booked.
    a_payout.refresh_from_db()
    bill = wechat.bills[f"SHP{a_payout.account_id}N1"]
    assert (a_payout.status, a_payout.provider_state) == (PayoutStatus.PENDING, "WAIT_USER_CONFIRM")
    assert a_payout.confirm_package == bill.package_info
    assert in_transit() == A_OWED + B_OWED and ledger.owed_to(farmer_a) == 0
    assert payout_sending.unsent() == [] and payout_sending.in_flight() == [a_payout.pk]
    assert_books_balance()


def test_a_payout_over_the_limit_or_large_without_a_name_goes_by_bank(wechat, settings):
    settings.WECHATPAY_TRANSFER_MAX = "50.00"
    farmer_a = a_bound_and_owed()
    destination = PayoutDestination.objects.get(farmer=farmer_a)
    assert payout_methods.choose(destination, A_OWED) == "bank_transfer"
    settings.WECHATPAY_TRANSFER_MAX = ""
    assert payout_methods.choose(destination, A_OWED) == "wechat_transfer"
    destination.wechat_holder_name = ""
    assert payout_methods.choose(destination, A_OWED) == "wechat_transfer"  # under 2,000 yuan: no name needed
    from decimal import Decimal

    assert payout_methods.choose(destination, Decimal("2000.00")) == "bank_transfer"


def test_without_the_operators_switch_nobody_is_paid_by_wechat(wechat, settings):
    settings.WECHATPAY_PAYOUTS_ENABLED = False
    a_bound_and_owed()
    (payout,) = payouts.run()
    assert payout.method == "bank_transfer" and wechat.requests == []


# --- The farmer confirms; the query and the notify settle it ---------------------------------------


def test_the_query_of_a_transfer_in_flight_pays_it_once_the_farmer_confirmed(
    wechat, django_capture_on_commit_callbacks
):
    farmer_a = a_bound_and_owed()
    cash = wechat_cash()
    (payout,), _callbacks = run_and_commit(django_capture_on_commit_callbacks)
    number = wechat_transfer.out_bill_no(payout)

    assert tasks.check_payouts_in_flight.delay().get() == 1  # asked: still waiting for the farmer
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and payout.provider_state == "WAIT_USER_CONFIRM"
    assert payout.confirm_package == wechat.bills[number].package_info, "the package survives a query"

    bill = wechat.finish(number, "SUCCESS")
    assert tasks.check_payouts_in_flight.delay().get() == 1

    payout.refresh_from_db()
    assert (payout.status, payout.reference) == (PayoutStatus.PAID, bill.transfer_bill_no)
    assert [r["method"] for r in wechat.requests] == ["POST", "GET", "GET"]
    assert wechat.created == 1
    assert wechat_cash() == cash - A_OWED and in_transit() == 0 and ledger.owed_to(farmer_a) == 0
    assert tasks.check_payouts_in_flight.delay().get() == 0
    assert_books_balance()


def test_a_signed_notify_pays_the_payout_and_a_replay_changes_nothing(
    wechat, client, django_capture_on_commit_callbacks
):
    a_bound_and_owed()
    (payout,), _callbacks = run_and_commit(django_capture_on_commit_callbacks)
    number = wechat_transfer.out_bill_no(payout)
    bill = wechat.finish(number, "SUCCESS")
    headers, body = wechat.notify(number, event_id="EV-2026120300001")

    response = client.post(NOTIFY, body, content_type="application/json", **headers)
    again = client.post(NOTIFY, body, content_type="application/json", **headers)

    assert (response.status_code, again.status_code) == (204, 204)
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == (PayoutStatus.PAID, bill.transfer_bill_no)
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.outcome) == ("wechatpay:EV-2026120300001", "paid")
    assert LedgerTransaction.objects.filter(key=f"payout-paid:{payout.pk}").count() == 1
    assert_books_balance()


def test_a_notify_not_signed_by_wechat_pay_or_stale_or_garbled_is_refused(wechat, client, settings):
    from .wechatpay_transfer_fake import _key

    a_bound_and_owed()
    (payout,) = payouts.run()
    payout_sending.send(payout.pk)
    number = wechat_transfer.out_bill_no(payout)
    wechat.finish(number, "SUCCESS")

    forged_headers, forged = wechat.notify(number, key=_key())
    stale_headers, stale = wechat.notify(number, timestamp="1700000000")
    good_headers, good = wechat.notify(number)
    for headers, body in ((forged_headers, forged), (stale_headers, stale), (good_headers, good[:-20])):
        response = client.post(NOTIFY, body, content_type="application/json", **headers)
        assert response.status_code in (400, 401) and response.json()["code"] == "FAIL"
    assert client.post(NOTIFY, "", content_type="application/json").status_code == 401

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and not WebhookEvent.objects.exists()
    settings.WECHATPAY_PAYOUTS_ENABLED = False
    assert client.post(NOTIFY, good, content_type="application/json", **good_headers).status_code == 404


def test_a_notify_for_a_bill_that_is_not_ours_is_acknowledged_and_changes_nothing(wechat, client):
    a_bound_and_owed()
    (payout,) = payouts.run()
    payout_sending.send(payout.pk)
    resource = wechat.resource(wechat.bills[wechat_transfer.out_bill_no(payout)])
    resource.update(out_bill_no="OTHERDB9N9", state="SUCCESS")
    headers, body = wechat.notify("", resource=resource)
    assert client.post(NOTIFY, body, content_type="application/json", **headers).status_code == 204
    assert WebhookEvent.objects.get().outcome == "unknown bill"
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING


# --- Retries never pay twice ----------------------------------------------------------------------


def test_a_send_retried_after_a_timeout_and_a_5xx_asks_for_the_same_transfer(wechat):
    """Celery runs eagerly: `apply` runs the task's retries at once, as a worker would later."""
    a_bound_and_owed()
    (payout,) = payouts.run()
    wechat.upcoming = [TIMEOUT, (500, {"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"}), TIMEOUT]
    for _attempt in range(2):
        with pytest.raises(payout_sending.SendError):
            payout_sending.send(payout.pk)
    payout.refresh_from_db()
    assert (payout.status, payout.provider_state) == (PayoutStatus.PENDING, "")

    result = tasks.send_payout.apply(args=[payout.pk], throw=False)  # times out once more, then retried

    assert result.get() == PayoutStatus.PENDING
    numbers = [r["body"]["out_bill_no"] for r in wechat.requests]
    assert numbers == [wechat_transfer.out_bill_no(payout)] * 4
    assert wechat.created == 1
    payout.refresh_from_db()
    assert payout.provider_state == "WAIT_USER_CONFIRM"


def test_an_answer_lost_after_wechat_made_the_transfer_is_not_a_second_transfer(wechat):
    farmer_a = a_bound_and_owed()
    (payout,) = payouts.run()
    wechat.first_state = "SUCCESS"  # no confirmation needed (e.g. an authorised farmer)
    wechat.lose_answer = [TIMEOUT]

    with pytest.raises(payout_sending.SendError):
        payout_sending.send(payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and payout_sending.unsent() == [payout.pk]

    assert tasks.send_unsent_payouts.delay().get() == 1  # the sweep sends it again

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and wechat.created == 1
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == 0
    assert_books_balance()


def test_out_of_money_at_wechat_pay_keeps_the_payout_for_later(wechat):
    a_bound_and_owed()
    (payout,) = payouts.run()
    wechat.upcoming = [(403, {"code": "NOT_ENOUGH", "message": "商户运营账户资金不足"})]
    with pytest.raises(payout_sending.SendError):
        payout_sending.send(payout.pk)
    payout.refresh_from_db()
    assert (payout.status, payout.provider_state) == (PayoutStatus.PENDING, "")
    assert wechat.created == 0 and in_transit() == A_OWED


# --- Failures give the money back -----------------------------------------------------------------


def test_a_failed_transfer_fails_the_payout_and_the_next_run_pays_again(wechat, django_capture_on_commit_callbacks):
    farmer_a = a_bound_and_owed()
    cash = wechat_cash()
    (payout,), _callbacks = run_and_commit(django_capture_on_commit_callbacks)
    wechat.finish(wechat_transfer.out_bill_no(payout), "FAIL", "OVERDUE_CLOSE")  # not confirmed within a day

    payout_sending.check(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and payout.failure_reason == "WeChat FAIL: OVERDUE_CLOSE"
    assert ledger.owed_to(farmer_a) == A_OWED and in_transit() == 0 and wechat_cash() == cash
    assert not payout.settled_entries.exists()
    assert_books_balance()

    (again,), _callbacks = run_and_commit(django_capture_on_commit_callbacks)
    assert (again.sequence, again.amount) == (2, A_OWED)
    assert wechat_transfer.out_bill_no(again) != wechat_transfer.out_bill_no(payout)
    assert wechat.created == 2


def test_a_refused_transfer_that_wechat_never_made_fails_the_payout(wechat):
    farmer_a = a_bound_and_owed()
    (payout,) = payouts.run()
    wechat.upcoming = [(400, {"code": "INVALID_REQUEST", "message": "该转账场景不可用"})]

    payout_sending.send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert payout.failure_reason == "INVALID_REQUEST: 该转账场景不可用"
    assert [r["method"] for r in wechat.requests] == ["POST", "GET"], "asked before giving the number up"
    assert ledger.owed_to(farmer_a) == A_OWED and in_transit() == 0
    assert_books_balance()


def test_an_answer_with_a_bad_signature_is_not_trusted(wechat):
    a_bound_and_owed()
    (payout,) = payouts.run()
    wechat.upcoming = [(200, {"out_bill_no": wechat_transfer.out_bill_no(payout), "state": "FAIL"})]
    real_signed = wechat.signed

    def tampered(status, payload):
        code, headers, text = real_signed(status, payload)
        return code, headers, text.replace("FAIL", "SUCCESS")

    wechat.signed = tampered
    with pytest.raises(payout_sending.SendError):
        payout_sending.send(payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and payout.provider_state == ""


def test_a_large_payout_carries_the_farmers_name_encrypted_for_wechat_pay(wechat, settings):
    from decimal import Decimal

    farmer_a = a_bound_and_owed()
    (payout,) = payouts.run()
    Payout.objects.filter(pk=payout.pk).update(amount=Decimal("2000.00"))  # as if owed that much
    payout_sending.send(payout.pk)
    (sent,) = wechat.requests
    assert sent["body"]["transfer_amount"] == 200000
    assert wechat.decrypt_name(sent["body"]["user_name"]) == farmer_a.name
    assert sent["headers"]["Wechatpay-Serial"].startswith("PUB_KEY_ID_")


# --- Binding ---------------------------------------------------------------------------------------


def test_only_the_farmer_themself_binds_and_binding_again_replaces():
    farmer = f.farmer()
    other = f.farmer()
    with pytest.raises(PermissionDenied):
        payout_destinations.bind_wechat(other.user, farmer, OPENID_A)
    with pytest.raises(PermissionDenied):
        payout_destinations.bind_wechat(f.staff_user(), farmer, OPENID_A)
    with pytest.raises(ValidationError):
        payout_destinations.bind_wechat(farmer.user, farmer, "<script>")
    assert not PayoutDestination.objects.exists()

    PayoutDestination.objects.create(farmer=farmer, bank_account_number="6228480000001234")
    payout_destinations.bind_wechat(farmer.user, farmer, OPENID_A)
    destination = payout_destinations.bind_wechat(farmer.user, farmer, "oNewWeChat_0000000000000000")
    assert destination.wechat_openid == "oNewWeChat_0000000000000000"
    assert destination.bank_account_number == "6228480000001234" and destination.wechat_bound_by == farmer.user
    assert PayoutDestination.objects.count() == 1
