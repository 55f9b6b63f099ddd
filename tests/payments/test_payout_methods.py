"""Payout methods: the registry (PAYOUT_METHODS), each seller's method chosen from where they are
paid (PayoutDestination), Stripe Connect transfers after the run commits, and returned payouts.

Stripe is the true network edge here, and the only thing replaced: the official `stripe` library
runs unchanged and its HTTP requests to https://api.stripe.com are answered by `responses` (at the
`requests` transport the library uses), so each test asserts the exact request: the path, the
Idempotency-Key header, amount in fen, currency, destination, metadata. localstripe (the fake
Stripe the card-payment tests use) is not used: version 1.15.10 has no Transfer or connected
Account resource, so POST /v1/transfers is not modelled there at all (decision in docs/decisions.md)."""

import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError

from payments import ledger, payout_methods, payout_sending, payouts
from payments.models import LedgerTransaction, Payout, PayoutDestination, PayoutStatus
from payments.payout_methods.base import PayoutMethod, SendOutcome
from tests import factories as f
from tests.shop.buying import two_farmer_order

from .test_payouts import A_OWED, assert_books_balance, in_transit, paid_and_delivered

pytestmark = pytest.mark.django_db

TRANSFERS = "https://api.stripe.com/v1/transfers"
ACCOUNT = "acct_1ShanhuoFarmerA"


@pytest.fixture
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_shanhuo_payouts"
    settings.STRIPE_API_BASE = ""  # Stripe's own address, answered by `responses`
    settings.STRIPE_MAX_NETWORK_RETRIES = 0


@pytest.fixture
def stripe_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def transfer_json(payout_id: int, transfer_id="tr_1ShanhuoPayout") -> dict:
    return {
        "id": transfer_id,
        "object": "transfer",
        "amount": 9480,
        "currency": "cny",
        "destination": ACCOUNT,
        "metadata": {"payout": str(payout_id)},
    }


def sent(call) -> dict:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def farmer_a_owed(destination=None):
    """Farmer A's order paid, delivered past the hold; farmer A paid to `destination` fields."""
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    if destination is not None:
        PayoutDestination.objects.create(farmer=farmer_a, **destination)
    return farmer_a


def run_and_commit(django_capture_on_commit_callbacks):
    """The run, with what it leaves for after its commits (sending) done, as in production."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        made = payouts.run()
    return made, callbacks


# --- The registry and the choice of method ------------------------------------------------------


def test_the_registry_holds_the_configured_methods():
    assert payout_methods.registry.names() == ["wechat_transfer", "stripe_connect", "bank_transfer"]
    assert payout_methods.get("bank_transfer").cash_gateway == "offline"
    assert payout_methods.get("wechat_transfer").cash_gateway == "wechatpay"
    assert not payout_methods.get("wechat_transfer").is_configured()  # off unless the operator turns it on
    assert payout_methods.get("stripe_connect").cash_gateway == "stripe"
    assert not payout_methods.get("bank_transfer").sends_itself and payout_methods.get("stripe_connect").sends_itself
    with pytest.raises(LookupError):
        payout_methods.get("alipay")


class PigeonPost(PayoutMethod):
    """A method of the tests' own: adding one is one class and one entry in the setting."""

    label = "Pigeon"
    cash_gateway = "offline"
    sends_itself = True

    def send(self, payout):
        return SendOutcome(paid=True, reference=f"pigeon-{payout.pk}")


def test_a_new_method_is_one_entry_in_the_setting(settings, django_capture_on_commit_callbacks):
    settings.PAYOUT_METHODS = {"pigeon": {"BACKEND": "tests.payments.test_payout_methods.PigeonPost"}}
    farmer_a = farmer_a_owed()

    (payout,), _callbacks = run_and_commit(django_capture_on_commit_callbacks)

    payout.refresh_from_db()
    assert (payout.method, payout.status, payout.reference) == ("pigeon", PayoutStatus.PAID, f"pigeon-{payout.pk}")
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == 0
    assert_books_balance()


def test_without_a_method_that_reaches_the_seller_the_run_refuses(settings):
    settings.PAYOUT_METHODS = {"stripe_connect": {"BACKEND": "payments.payout_methods.stripe_connect.StripeConnect"}}
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    farmer_a_owed()
    with pytest.raises(ImproperlyConfigured):
        payouts.run()
    assert not Payout.objects.exists()


@pytest.mark.parametrize(
    ("key", "destination", "expected"),
    [
        ("sk_test_x", None, "bank_transfer"),  # nothing recorded
        ("sk_test_x", {"bank_account_number": "6228480000001234"}, "bank_transfer"),
        ("sk_test_x", {"stripe_account": ACCOUNT}, "stripe_connect"),
        ("", {"stripe_account": ACCOUNT}, "bank_transfer"),  # Stripe not configured here
        ("sk_test_x", {"stripe_account": ACCOUNT, "method": "bank_transfer"}, "bank_transfer"),  # their choice
    ],
)
def test_each_seller_is_paid_through_the_method_that_reaches_them(settings, key, destination, expected):
    settings.STRIPE_SECRET_KEY = key
    farmer_a = farmer_a_owed(destination)
    (payout,) = payouts.run()  # nothing is sent: the commit callbacks are not run here
    assert (payout.farmer, payout.method) == (farmer_a, expected)


def test_the_payout_records_where_it_went_without_the_full_bank_number(settings):
    farmer_a_owed({"bank_name": "农业银行", "bank_account_name": "张三", "bank_account_number": "6228 4800 0000 1234"})
    (payout,) = payouts.run()
    assert payout.destination == "农业银行 · 张三 · **** 1234"


def test_a_destination_names_one_seller_and_a_stripe_choice_needs_an_account():
    farmer = f.farmer()
    coop = f.cooperative()
    both = PayoutDestination(farmer=farmer, cooperative=coop)
    with pytest.raises(ValidationError) as error:
        both.full_clean()
    assert error.value.error_dict["__all__"][0].code == "one_seller"
    stripe_without_account = PayoutDestination(farmer=farmer, method="stripe_connect")
    with pytest.raises(ValidationError) as error:
        stripe_without_account.full_clean()
    assert error.value.error_dict["stripe_account"][0].code == "required"
    bad_id = PayoutDestination(farmer=farmer, stripe_account="12345")
    with pytest.raises(ValidationError) as error:
        bad_id.full_clean()
    assert "stripe_account" in error.value.error_dict


# --- Stripe Connect --------------------------------------------------------------------------------


def test_a_transfer_stripe_accepts_pays_the_payout(stripe_keys, stripe_api, django_capture_on_commit_callbacks):
    farmer_a = farmer_a_owed({"stripe_account": ACCOUNT})
    stripe_cash = ledger.balance(ledger.cash_account("stripe"))
    created = {}

    def answer(request):
        created["payout"] = Payout.objects.get()  # the payout was committed before Stripe was asked
        return 200, {}, json.dumps(transfer_json(created["payout"].pk))

    stripe_api.add_callback(responses.POST, TRANSFERS, callback=answer, content_type="application/json")

    (payout,), callbacks = run_and_commit(django_capture_on_commit_callbacks)

    assert len(callbacks) == 1 and created["payout"].pk == payout.pk
    (call,) = stripe_api.calls
    assert call.request.headers["Idempotency-Key"] == payout.idempotency_key == f"shanhuo-payout-{payout.account_id}-1"
    assert call.request.headers["Authorization"] == "Bearer sk_test_shanhuo_payouts"
    assert sent(call) == {
        "amount": "9480",
        "currency": "cny",
        "destination": ACCOUNT,
        "metadata[payout]": str(payout.pk),
        "metadata[idempotency_key]": payout.idempotency_key,
    }
    payout.refresh_from_db()
    assert (payout.status, payout.reference, payout.destination) == (PayoutStatus.PAID, "tr_1ShanhuoPayout", ACCOUNT)
    assert payout.recorded_by is None and payout.paid_at is not None
    assert ledger.balance(ledger.cash_account("stripe")) == stripe_cash - A_OWED
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == 0
    # Sent again (a duplicate task): the payout is settled, Stripe is not asked again.
    payout_sending.send(payout.pk)
    assert len(stripe_api.calls) == 1
    assert_books_balance()


def test_a_transfer_stripe_refuses_fails_the_payout_and_the_money_is_owed_again(
    stripe_keys, stripe_api, django_capture_on_commit_callbacks
):
    farmer_a = farmer_a_owed({"stripe_account": ACCOUNT})
    refusal = {
        "error": {
            "type": "invalid_request_error",
            "code": "account_invalid",
            "message": "The destination account cannot receive transfers.",
            "param": "destination",
        }
    }
    stripe_api.add(responses.POST, TRANSFERS, json=refusal, status=400)

    (payout,), _callbacks = run_and_commit(django_capture_on_commit_callbacks)

    (call,) = stripe_api.calls
    assert call.request.headers["Idempotency-Key"] == payout.idempotency_key
    assert sent(call)["destination"] == ACCOUNT and sent(call)["amount"] == "9480"
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert payout.failure_reason == "The destination account cannot receive transfers."
    assert ledger.owed_to(farmer_a) == A_OWED and in_transit() == 0
    assert not payout.settled_entries.exists()
    assert not LedgerTransaction.objects.filter(key=f"payout-paid:{payout.pk}").exists()
    assert_books_balance()


def test_a_network_error_leaves_the_payout_on_its_way_for_a_retry(stripe_keys, stripe_api):
    farmer_a = farmer_a_owed({"stripe_account": ACCOUNT})
    (payout,) = payouts.run()
    stripe_api.add(responses.POST, TRANSFERS, body=requests.ConnectionError("connection reset"))

    with pytest.raises(payout_sending.SendError):
        payout_sending.send(payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and payout.reference == ""
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == A_OWED  # still on its way, not back


def test_the_task_retries_with_the_same_idempotency_key_until_stripe_answers(stripe_keys, stripe_api):
    """Celery runs eagerly in tests: `apply` runs the task's retry at once, as a worker would later
    (`throw=False`: the first attempt's Retry is not raised to the caller, as a worker swallows it)."""
    from payments import tasks

    farmer_a_owed({"stripe_account": ACCOUNT})
    (payout,) = payouts.run()
    stripe_api.add(responses.POST, TRANSFERS, body=requests.ConnectionError("timed out"))
    stripe_api.add(responses.POST, TRANSFERS, json=transfer_json(payout.pk, "tr_after_retry"))

    result = tasks.send_payout.apply(args=[payout.pk], throw=False)

    assert result.get() == PayoutStatus.PAID
    assert [c.request.headers["Idempotency-Key"] for c in stripe_api.calls] == [payout.idempotency_key] * 2
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == (PayoutStatus.PAID, "tr_after_retry")


def test_an_outage_at_stripe_is_retried_too(stripe_keys, stripe_api):
    farmer_a_owed({"stripe_account": ACCOUNT})
    (payout,) = payouts.run()
    outage = {"error": {"type": "api_error", "message": "Stripe is having trouble."}}
    stripe_api.add(responses.POST, TRANSFERS, json=outage, status=503)
    with pytest.raises(payout_sending.SendError):
        payout_sending.send(payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING
    assert payout_sending.unsent() == [payout.pk]


def test_a_bank_transfer_is_never_sent(stripe_keys, stripe_api, django_capture_on_commit_callbacks):
    farmer_a_owed({"bank_account_number": "6228480000001234"})
    (payout,), callbacks = run_and_commit(django_capture_on_commit_callbacks)
    assert callbacks == [] and len(stripe_api.calls) == 0
    assert payout_sending.send(payout.pk).status == PayoutStatus.PENDING
    assert payout_sending.unsent() == []


# --- Returned payouts -------------------------------------------------------------------------------


def test_a_returned_payout_is_owed_again_and_the_next_run_pays_it_once():
    operator = f.payout_operator()
    farmer_a = farmer_a_owed()
    (payout,) = payouts.run()
    payouts.mark_paid(operator, payout, "ABC-0001")
    cash = ledger.balance(ledger.cash_account("offline"))
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == 0

    payouts.mark_returned(operator, payout, "账号已销户")
    payouts.mark_returned(operator, payout, "账号已销户")  # repeated: nothing more

    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason, payout.recorded_by) == (PayoutStatus.RETURNED, "账号已销户", operator)
    assert payout.returned_at is not None and payout.reference == "ABC-0001"
    assert ledger.owed_to(farmer_a) == A_OWED
    assert ledger.balance(ledger.cash_account("offline")) == cash + A_OWED
    assert LedgerTransaction.objects.filter(key__startswith="payout-returned:").count() == 1

    (again,) = payouts.run()
    assert (again.farmer, again.amount, again.sequence) == (farmer_a, A_OWED, 2)
    assert payouts.run() == []  # paid once, not twice
    payouts.mark_paid(operator, again, "ABC-0002")
    assert ledger.owed_to(farmer_a) == 0 and in_transit() == 0
    assert ledger.balance(ledger.cash_account("offline")) == cash
    assert_books_balance()


def test_only_a_paid_payout_comes_back_and_only_with_a_reason():
    operator = f.payout_operator()
    farmer_a = farmer_a_owed()
    (payout,) = payouts.run()
    with pytest.raises(ValidationError) as error:
        payouts.mark_returned(operator, payout, "bounced")
    assert error.value.code == "not_paid"
    payouts.mark_paid(operator, payout, "ABC-0001")
    with pytest.raises(ValidationError) as error:
        payouts.mark_returned(operator, payout, "  ")
    assert error.value.error_dict["reason"][0].code == "required"
    with pytest.raises(PermissionDenied):
        payouts.mark_returned(farmer_a.user, payout, "bounced")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and ledger.owed_to(farmer_a) == 0


def test_staff_without_the_payout_permission_record_nothing():
    farmer_a_owed()
    (payout,) = payouts.run()
    for service, argument in ((payouts.mark_paid, "ABC"), (payouts.mark_failed, "x"), (payouts.mark_returned, "x")):
        with pytest.raises(PermissionDenied):
            service(f.staff_user(), payout, argument)
    superuser = f.user(is_staff=True, is_superuser=True)
    assert payouts.mark_paid(superuser, payout, "ABC").status == PayoutStatus.PAID


def test_amounts_are_sent_in_fen_exactly(stripe_keys, stripe_api, settings):
    """A payout of 94.80 is 9480 fen, never a float's 9479."""
    farmer_a_owed({"stripe_account": ACCOUNT})
    (payout,) = payouts.run()
    assert payout.amount == Decimal("94.80")
    stripe_api.add(responses.POST, TRANSFERS, json=transfer_json(payout.pk))
    payout_sending.send(payout.pk)
    assert sent(stripe_api.calls[0])["amount"] == "9480"
