"""The payouts' admin: the list names the seller and their village; operators who may record
payouts record a bank transfer paid (with its reference), failed or returned, each through a page
that asks for it, and upload the bank's CSV of references; staff without that permission are
refused every one of them. Operators keep where each seller is paid (PayoutDestination)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments import ledger, payout_bank_csv, payouts
from payments.models import LedgerTransaction, Payout, PayoutDestination, PayoutStatus
from tests import factories as f
from tests.shop.buying import place_order, two_farmer_order, variant

from .test_payouts import A_OWED, assert_books_balance, in_transit, paid_and_delivered

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:payments_payout_changelist")
UPLOAD = reverse("admin:payments_payout_upload_references")


@pytest.fixture
def operator(client):
    user = f.payout_operator()
    user.user_permissions.add(Permission.objects.get(codename="view_payout"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages compared in English; one test reads Chinese
    return user


@pytest.fixture
def viewer(client):
    """Staff who may see payouts but not record them."""
    user = f.user(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_payout", "change_payment"]))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def two_payouts(settings):
    """Farmer A owed 94.80 and another farmer owed 80.00 + 8.00 shipping, both paid out by bank."""
    settings.PAYOUT_MINIMUM = "50.00"
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    other = paid_and_delivered(place_order([(variant(price="80.00", weight_kg="0.5"), 1)]))
    made = {p.farmer: p for p in payouts.run()}
    other_farmer = other.fulfilments.get().farmer
    return made[farmer_a], made[other_farmer]


def act(client, action, values: dict):
    """What the action's page sends: each payout's field (payout → value)."""
    field = {"record_paid": "reference"}.get(action, "reason")
    data = {"action": action, "post": "yes", "_selected_action": [p.pk for p in values]}
    data.update({f"payout-{p.pk}-{field}": value for p, value in values.items()})
    return client.post(CHANGELIST, data, follow=True)


def shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def csv_file(*rows, header="payout,reference,status,amount", encoding="utf-8") -> SimpleUploadedFile:
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile("bank.csv", text.encode(encoding), content_type="text/csv")


# --- The list -------------------------------------------------------------------------------------


def test_the_list_names_the_seller_and_village_not_the_account_code(client, operator, settings):
    payout, _other = two_payouts(settings)
    farmer = payout.farmer
    page = client.get(CHANGELIST).content.decode()
    assert farmer.name in page and farmer.village.name in page and farmer.village.county.name in page
    assert payout.account.code not in page
    assert UPLOAD in page  # the operator is offered the bank's file


# --- Record paid / failed / returned -----------------------------------------------------------------


def test_record_paid_asks_for_each_reference_then_records_it(client, operator, settings):
    payout, other = two_payouts(settings)
    first = client.post(CHANGELIST, {"action": "record_paid", "index": "0", "_selected_action": [payout.pk, other.pk]})
    assert first.status_code == 200 and b'name="payout-%d-reference"' % payout.pk in first.content

    missing = act(client, "record_paid", {payout: "ABC-1", other: "  "})
    assert missing.status_code == 200 and "errorlist" in missing.content.decode()
    assert not Payout.objects.filter(status=PayoutStatus.PAID).exists()

    done = act(client, "record_paid", {payout: "ABC-1", other: "ABC-2"})
    assert f"Payout {payout.pk} recorded paid." in shown(done)
    assert dict(Payout.objects.values_list("pk", "reference")) == {payout.pk: "ABC-1", other.pk: "ABC-2"}
    assert Payout.objects.get(pk=payout.pk).recorded_by == operator
    assert in_transit() == 0


def test_record_failed_then_a_refusal_is_a_message_not_an_error_page(client, operator, settings):
    payout, _other = two_payouts(settings)
    done = act(client, "record_failed", {payout: "户名不对"})
    assert f"Payout {payout.pk} recorded failed." in shown(done)
    assert ledger.owed_to(payout.farmer) == A_OWED
    again = act(client, "record_paid", {payout: "ABC"})
    assert again.status_code == 200
    assert f"Payout {payout.pk}: This payout is already settled." in shown(again)


def test_record_returned_puts_the_money_back_on_the_payable(client, operator, settings):
    payout, _other = two_payouts(settings)
    act(client, "record_paid", {payout: "ABC-1"})
    done = act(client, "record_returned", {payout: "银行退回：账号已销户"})
    assert f"Payout {payout.pk} recorded returned." in shown(done)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.RETURNED and ledger.owed_to(payout.farmer) == A_OWED
    assert_books_balance()


def test_staff_without_the_payout_permission_are_refused(client, viewer, settings):
    payout, _other = two_payouts(settings)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    form = page.context["action_form"]  # None: no action at all is offered
    offered = dict(form.fields["action"].choices) if form is not None else {}
    assert not {"record_paid", "record_failed", "record_returned"} & set(offered)
    assert UPLOAD not in page.content.decode()
    for action in ("record_paid", "record_failed", "record_returned"):
        act(client, action, {payout: "ABC"})
    assert client.get(UPLOAD).status_code == 403
    refused = client.post(UPLOAD, {"file": csv_file(f"{payout.pk},ABC,paid,{payout.amount}")})
    assert refused.status_code == 403
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and not LedgerTransaction.objects.filter(key__contains="paid:")


def test_destinations_are_kept_in_the_admin_and_listed_masked(client, settings):
    superuser = f.user(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    farmer = f.farmer()
    add = reverse("admin:payments_payoutdestination_add")
    bad = client.post(add, {"farmer": farmer.pk, "method": "stripe_connect", "stripe_account": ""})
    assert bad.status_code == 200 and "stripe_account" in bad.context["adminform"].form.errors
    client.post(
        add,
        {
            "farmer": farmer.pk,
            "method": "",
            "bank_name": "农业银行",
            "bank_account_name": "张三",
            "bank_account_number": "6228480000005678",
        },
    )
    assert PayoutDestination.objects.get(farmer=farmer).bank_account_number == "6228480000005678"
    listed = client.get(reverse("admin:payments_payoutdestination_changelist")).content.decode()
    assert "**** 5678" in listed and "6228480000005678" not in listed


# --- The bank's CSV ---------------------------------------------------------------------------------


def test_a_good_file_records_every_row_and_a_reupload_changes_nothing(client, operator, settings):
    payout, other = two_payouts(settings)
    rows = (f"{payout.pk},BANK-001,paid,{payout.amount}", f"{other.idempotency_key},,failed,{other.amount}")

    response = client.post(UPLOAD, {"file": csv_file(*rows)}, follow=True)

    assert "2 payouts recorded; 0 were already recorded so." in shown(response)
    payout.refresh_from_db(), other.refresh_from_db()
    assert (payout.status, payout.reference, payout.recorded_by) == (PayoutStatus.PAID, "BANK-001", operator)
    assert other.status == PayoutStatus.FAILED and ledger.owed_to(other.farmer) == other.amount
    books = LedgerTransaction.objects.count()

    again = client.post(UPLOAD, {"file": csv_file(*rows)}, follow=True)

    assert "0 payouts recorded; 2 were already recorded so." in shown(again)
    assert LedgerTransaction.objects.count() == books
    assert_books_balance()


def test_a_file_with_bad_rows_records_nothing_and_names_each_row(client, operator, settings):
    payout, other = two_payouts(settings)
    payouts.mark_paid(operator, other, "EARLIER")
    rows = (
        f"{payout.pk},BANK-001,paid,{payout.amount}",  # good, but not recorded: another row is bad
        "999999,BANK-002,paid,10.00",  # no such payout
        f"{payout.idempotency_key},BANK-003,paid,{payout.amount}",  # the same payout twice
        f"{other.pk},BANK-004,paid,{other.amount}",  # already recorded with another reference
        f"{other.pk},,paid,abc",
        f"{payout.pk},BANK-5,sent,{payout.amount + Decimal('0.01')}",
    )

    response = client.post(UPLOAD, {"file": csv_file(*rows)})

    assert response.status_code == 200
    outcome = response.context["outcome"]
    errors = {row.line: row.errors for row in outcome.bad_rows}
    assert 2 not in errors
    assert errors[3] == ["There is no payout 999999."]
    assert errors[4] == [f"Payout {payout.idempotency_key} is also on line 2."]
    assert errors[5] == [f"Payout {other.pk} is already recorded: Paid EARLIER."]
    assert "A paid row needs the bank's reference." in errors[6]
    assert "The amount must be a number, like 94.80." in errors[6]
    assert "The status must be paid or failed." in errors[7]
    assert f"The amount is {payout.amount + Decimal('0.01')} but payout {payout.pk} is {payout.amount}." in errors[7]
    page = response.content.decode()
    assert "Nothing was recorded." in page and "There is no payout 999999." in page
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and in_transit() == payout.amount


def test_a_file_without_the_columns_or_not_text_is_refused_whole(client, operator, settings):
    payout, _other = two_payouts(settings)
    wrong = client.post(UPLOAD, {"file": csv_file(f"{payout.pk},X", header="payout,ref")})
    assert "missing: reference, status, amount" in wrong.content.decode().replace("&#x27;", "'")
    binary = SimpleUploadedFile("bank.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\xff\xfe", content_type="x")
    assert client.post(UPLOAD, {"file": binary}).context["outcome"].problems
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING


def test_a_bank_file_in_gb18030_with_chinese_statuses_is_read(operator, settings):
    payout, other = two_payouts(settings)
    content = csv_file(
        f"{payout.pk},流水001,已到账,{payout.amount}",
        f"{other.pk},,没成功,{other.amount}",
        header="payout,reference,status,amount,reason",
        encoding="gb18030",
    ).read()
    outcome = payout_bank_csv.record(operator, content)
    assert outcome.ok and outcome.recorded == 2
    assert Payout.objects.get(pk=payout.pk).reference == "流水001"
    assert Payout.objects.get(pk=other.pk).status == PayoutStatus.FAILED


def test_a_stripe_payout_cannot_be_recorded_from_the_bank_file(operator, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    paid_and_delivered(order)
    PayoutDestination.objects.create(farmer=farmer_a, stripe_account="acct_1ShanhuoFarmerA")
    (payout,) = payouts.run()  # not sent: commit callbacks do not run here
    outcome = payout_bank_csv.record(
        operator, f"payout,reference,status,amount\n{payout.pk},X,paid,{payout.amount}\n".encode()
    )
    assert [row.errors for row in outcome.bad_rows] == [[f"Payout {payout.pk} is not a bank transfer."]]
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PENDING


def test_an_operator_reading_chinese_sees_the_rows_errors_in_chinese(client, operator, settings):
    payout, _other = two_payouts(settings)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.post(UPLOAD, {"file": csv_file(f"{payout.pk},,paid,{payout.amount}")})
    page = response.content.decode()
    assert "一行也没有记。" in page and "已到账的一行要填转账流水号。" in page
