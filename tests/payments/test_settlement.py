"""Settlement: the providers' bills are read, matched to our payments and refunds, and each fee is
booked once as the platform's expense (never the farmer's); re-importing changes nothing; rows
that do not match are reported, not booked; a damaged file books nothing."""

import gzip
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from payments import ledger, settlement, shopper_payments
from payments.models import Entry, LedgerTransaction, Payment
from payments.settlement_bill import BillError
from tests import factories as f
from tests.payments.settlement_bills import (
    ali_payment,
    ali_refund,
    alipay_csv,
    alipay_zip,
    wechat_bill,
    wx_payment,
    wx_refund,
)
from tests.shop.buying import place_order, variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def providers(settings):
    """WeChat Pay and Alipay as payment methods. Their gateways are built on other branches; here a
    stand-in that refunds at once carries the name, which is all settlement reads of a gateway."""
    stand_in = {"BACKEND": "payments.gateways.offline.OfflineGateway"}
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "wechatpay": stand_in, "alipay": stand_in}


def paid(gateway: str, price="50.00", quantity=2) -> Payment:
    """A paid order of one farmer's goods (two lines of `price`) through `gateway`."""
    a = variant(price=price, weight_kg="0.5")
    b = variant(price=price, weight_kg="0.5", seller=a.product.farmer)
    order = place_order([(a, quantity - 1), (b, 1)], payment_method=gateway)
    shopper_payments.record_succeeded(order.payment.pk)
    return Payment.objects.get(pk=order.payment.pk)


def refund_one_line(payment: Payment):
    line = payment.order.lines.order_by("pk").first()
    return shopper_payments.refund_payment(f.staff_user(), payment, lines=[line])


def books_balance() -> bool:
    return not ledger.unbalanced_transactions().exists()


def farmer_owed(payment: Payment) -> Decimal:
    return ledger.owed_to(payment.order.lines.first().farmer)


def fees_expense() -> Decimal:
    return ledger.balance(ledger.provider_fee_account())


def snapshot() -> tuple:
    return (
        list(LedgerTransaction.objects.order_by("pk").values_list("key", flat=True)),
        list(Entry.objects.order_by("pk").values_list("account__code", "amount")),
        list(Payment.objects.order_by("pk").values_list("provider_fee", flat=True)),
    )


# --- The ledger ---------------------------------------------------------------------------------------


def test_a_provider_fee_is_the_platforms_expense_booked_once():
    payment = paid("wechatpay")
    owed = farmer_owed(payment)
    cash = ledger.balance(ledger.cash_account("wechatpay"))

    assert ledger.book_provider_fee(payment, Decimal("0.60")) is True
    assert ledger.book_provider_fee(payment, Decimal("0.60")) is False
    assert ledger.book_provider_fee(Payment.objects.get(pk=payment.pk), Decimal("0.70")) is False

    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.60")
    assert ledger.balance(ledger.cash_account("wechatpay")) == cash - Decimal("0.60")
    assert fees_expense() == Decimal("0.60")
    assert farmer_owed(payment) == owed  # the farmer bears none of it
    assert LedgerTransaction.objects.filter(key=f"provider-fee:{payment.pk}").count() == 1
    assert books_balance()


@pytest.mark.parametrize("fee", [Decimal("-0.01"), Decimal("0.005"), 0.6])
def test_a_fee_that_is_not_a_positive_amount_in_fen_is_refused(fee):
    payment = paid("alipay")
    with pytest.raises(ledger.UnbalancedTransaction):
        ledger.book_provider_fee(payment, fee)
    assert Payment.objects.get(pk=payment.pk).provider_fee is None
    assert not LedgerTransaction.objects.filter(key__startswith="provider-fee").exists()


# --- WeChat Pay ---------------------------------------------------------------------------------------


def test_a_wechat_bill_books_each_fee_and_the_fee_returned_with_a_refund():
    first, second = paid("wechatpay"), paid("wechatpay", price="33.33")
    refund = refund_one_line(first)
    owed = farmer_owed(first)
    bill = wechat_bill(wx_payment(first, "0.60"), wx_payment(second, "0.40"), wx_refund(refund, "0.30"))

    result = settlement.import_bill("wechatpay", bill)

    assert [outcome.outcome for outcome in result.outcomes] == ["booked", "booked", "booked"]
    assert result.problems == []
    assert [p.provider_fee for p in Payment.objects.order_by("pk")] == [Decimal("0.60"), Decimal("0.40")]
    assert fees_expense() == Decimal("0.60") + Decimal("0.40") - Decimal("0.30")
    assert ledger.provider_fee_returned(refund) == Decimal("0.30")
    assert farmer_owed(first) == owed
    assert books_balance()


def test_importing_the_same_bill_again_changes_nothing():
    payment = paid("wechatpay")
    refund = refund_one_line(payment)
    bill = wechat_bill(wx_payment(payment, "0.60"), wx_refund(refund, "0.30"))
    settlement.import_bill("wechatpay", bill)
    before = snapshot()

    again = settlement.import_bill("wechatpay", gzip.compress(bill))  # as downloaded with tar_type=GZIP

    assert [outcome.outcome for outcome in again.outcomes] == ["already_booked", "already_booked"]
    assert snapshot() == before
    assert books_balance()


def test_unknown_and_mismatched_rows_are_reported_and_not_booked():
    ours, stranger = paid("wechatpay"), paid("alipay")
    refund = refund_one_line(ours)
    bill = wechat_bill(
        wx_payment(ours, "0.60", amount=Decimal("99.00")),  # we were paid 108.00
        wx_payment(ours, "0.60", reference="f" * 32),  # a number we never gave
        wx_payment(stranger, "0.60"),  # ours, but through Alipay
        wx_refund(refund, "0.30", amount=Decimal("1.00")),
    )
    before = snapshot()

    result = settlement.import_bill("wechatpay", bill)

    assert [outcome.outcome for outcome in result.outcomes] == [
        "amount_mismatch",
        "unknown",
        "unknown",
        "amount_mismatch",
    ]
    assert len(result.problems) == 4 and result.booked == []
    assert result.outcomes[0].ours == ours.amount
    assert "99.00" in result.outcomes[0].describe() and str(ours.amount) in result.outcomes[0].describe()
    assert snapshot() == before
    assert books_balance()


def test_a_fee_differing_from_the_one_booked_is_reported():
    payment = paid("wechatpay")
    settlement.import_bill("wechatpay", wechat_bill(wx_payment(payment, "0.60")))

    result = settlement.import_bill("wechatpay", wechat_bill(wx_payment(payment, "0.70")))

    assert [(o.outcome, o.ours) for o in result.outcomes] == [("fee_mismatch", Decimal("0.60"))]
    assert fees_expense() == Decimal("0.60")
    assert books_balance()


def test_money_we_have_not_recorded_and_unfinished_refunds_wait():
    """A payment the provider took but we have not recorded, and a refund still pending on our
    side, are reported; once our records catch up, importing the bill again books them."""
    a = variant(price="20.00", weight_kg="0.5")
    order = place_order([(a, 1)], payment_method="wechatpay")
    pending = Payment.objects.get(pk=order.payment.pk)
    bill = wechat_bill(wx_payment(pending, "0.12"))

    assert [o.outcome for o in settlement.import_bill("wechatpay", bill).outcomes] == ["not_received"]
    assert Payment.objects.get(pk=pending.pk).provider_fee is None

    shopper_payments.record_succeeded(pending.pk)
    assert [o.outcome for o in settlement.import_bill("wechatpay", bill).outcomes] == ["booked"]
    assert books_balance()


def test_a_zero_fee_is_recorded_without_a_transaction():
    payment = paid("wechatpay", price="0.50")
    result = settlement.import_bill("wechatpay", wechat_bill(wx_payment(payment, "0.00300")))  # rounds to 0.00

    assert [o.outcome for o in result.outcomes] == ["booked"]
    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.00")
    assert not LedgerTransaction.objects.filter(key__startswith="provider-fee").exists()


def test_wechat_fees_to_five_places_are_read_to_the_fen():
    payment = paid("wechatpay")
    settlement.import_bill("wechatpay", wechat_bill(wx_payment(payment, "0.60000")))
    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.60")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda bill: bill.split(b"\r\n\xe6\x80\xbb")[0], id="cut-before-summary"),
        pytest.param(lambda bill: bill.split(b"\r\n`2,")[0] + b"\r\n", id="summary-figures-missing"),
        pytest.param(lambda bill: bill.replace(b"`SUCCESS", b"SUCCESS", 1), id="no-backtick"),
        pytest.param(lambda bill: bill.replace(b",`0.60000", b",`0.60000,`extra", 1), id="extra-field"),
        pytest.param(lambda bill: bill.replace(b"`0.60000", b"`abc", 1), id="fee-not-a-number"),
        # 订单金额 (108.00: two lines of 50.00 and ¥8 shipping) follows the 费率
        pytest.param(lambda bill: bill.replace(b"`0.60%,`108.00", b"`0.60%,`108.001", 1), id="amount-below-fen"),
        pytest.param(lambda bill: bill.replace("商户订单号".encode(), b"order", 1), id="column-missing"),
        pytest.param(lambda bill: gzip.compress(bill)[:-20], id="cut-gzip"),
        pytest.param(lambda bill: bill.decode().encode("gbk"), id="not-utf8"),
        pytest.param(lambda bill: b"", id="empty"),
    ],
)
def test_a_damaged_wechat_bill_books_nothing(damage):
    first, second = paid("wechatpay"), paid("wechatpay")
    bill = wechat_bill(wx_payment(first, "0.60"), wx_payment(second, "0.60"))
    assert len(settlement.parse("wechatpay", bill)) == 2  # undamaged, it reads
    before = snapshot()

    with pytest.raises(BillError) as raised:
        settlement.import_bill("wechatpay", damage(bill))

    assert str(raised.value)  # a message an operator can read
    assert snapshot() == before


def test_a_bill_missing_rows_against_its_summary_is_refused():
    first, second = paid("wechatpay"), paid("wechatpay")
    bill = wechat_bill(wx_payment(first, "0.60"), wx_payment(second, "0.60"), count=3)
    with pytest.raises(BillError, match="3"):
        settlement.import_bill("wechatpay", bill)
    assert Payment.objects.filter(provider_fee__isnull=False).count() == 0


# --- Alipay -------------------------------------------------------------------------------------------


def test_an_alipay_zip_books_each_fee_and_the_fee_returned():
    payment = paid("alipay")
    refund = refund_one_line(payment)
    owed = farmer_owed(payment)
    bill = alipay_zip(alipay_csv(ali_payment(payment, "0.60"), ali_refund(refund, "0.30")))

    result = settlement.import_bill("alipay", bill)

    assert [o.outcome for o in result.outcomes] == ["booked", "booked"]
    assert result.outcomes[1].row.merchant_reference == refund.merchant_reference
    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.60")
    assert fees_expense() == Decimal("0.30")
    assert farmer_owed(payment) == owed
    assert books_balance()

    before = snapshot()
    assert [o.outcome for o in settlement.import_bill("alipay", bill).outcomes] == ["already_booked"] * 2
    assert snapshot() == before


def test_an_alipay_detail_csv_alone_is_read_too():
    payment = paid("alipay")
    result = settlement.import_bill("alipay", alipay_csv(ali_payment(payment, "1.20")))
    assert [o.outcome for o in result.outcomes] == ["booked"]


@pytest.mark.parametrize(
    "bill",
    [
        lambda payment: alipay_zip(alipay_csv(ali_payment(payment, "0.60"), end=False)),  # truncated
        lambda payment: alipay_zip(alipay_csv(ali_payment(payment, "0.60"), trades=2)),
        lambda payment: alipay_zip(alipay_csv(ali_payment(payment, "0.60")))[:-30],  # a cut zip
        lambda payment: alipay_csv(ali_payment(payment, "0.60")).replace("订单金额".encode("gbk"), b"x"),
        lambda payment: alipay_csv(ali_payment(payment, "0.60")).decode("gbk").encode("utf-16"),
        lambda payment: wechat_bill(wx_payment(payment, "0.60")),  # the other provider's bill
    ],
)
def test_a_damaged_alipay_bill_books_nothing(bill):
    payment = paid("alipay")
    before = snapshot()
    with pytest.raises(BillError):
        settlement.import_bill("alipay", bill(payment))
    assert snapshot() == before


# --- The operator's command -----------------------------------------------------------------------------


def test_the_import_command_reports_rows_and_refuses_a_damaged_file(tmp_path, capsys):
    payment = paid("wechatpay")
    good = tmp_path / "bill.csv"
    good.write_bytes(wechat_bill(wx_payment(payment, "0.60"), wx_payment(payment, "0.60", reference="f" * 32)))

    call_command("settlement_import", "wechatpay", str(good))
    out = capsys.readouterr().out
    assert payment.merchant_reference in out and "f" * 32 in out
    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.60")

    bad = tmp_path / "cut.csv"
    bad.write_bytes(good.read_bytes()[:-60])
    with pytest.raises(CommandError):
        call_command("settlement_import", "wechatpay", str(bad))
    assert books_balance()
