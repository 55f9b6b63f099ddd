"""The demo's year of orders (demo.year): a balanced ledger dated day by day, refunds, credited
orders, month-end payouts paid and one failed; seeding again adds nothing, a reset removes it all.

One test, because the year replays every order through the real services and costs seconds; the
quick bulk catalogue path and a smaller year keep it short."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models.functions import TruncMonth
from django.utils import timezone

from demo import seed, year
from payments import ledger
from payments.models import Entry, LedgerTransaction, Payment, Payout, PayoutStatus, Refund
from promotion.models import Click, ClickOutcome, OrderAttribution, Spend
from shop.models import Fulfilment, Order, OrderStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ORDERS = "80"


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo(*args) -> str:
    out = StringIO()
    call_command("seed_demo", "--products", "600", "--orders", ORDERS, *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status", "created_at", "paid_at")),
        "transactions": LedgerTransaction.objects.count(),
        "entries": Entry.objects.count(),
        "payouts": list(Payout.objects.order_by("pk").values_list("pk", "status", "amount")),
        "clicks": Click.objects.count(),
        "refunds": Refund.objects.count(),
    }


@pytest.mark.timeout(900)  # a year through the services: minutes on a loaded machine
def test_a_seeded_year_balances_settles_and_is_seeded_once():
    output = seed_demo()
    now = timezone.now()

    assert not ledger.unbalanced_transactions().exists()
    assert not LedgerTransaction.objects.filter(created_at__gt=now).exists()
    assert LedgerTransaction.objects.filter(created_at__lt=now - timezone.timedelta(days=300)).exists()

    # Orders placed over the year, paid in at least ten months, each booked on the day it was paid.
    orders = Order.objects.all()
    assert orders.count() >= 40
    paid = orders.filter(paid_at__isnull=False)
    assert paid.annotate(month=TruncMonth("paid_at")).values("month").distinct().count() >= 10
    assert orders.filter(created_at__lt=now - timezone.timedelta(days=330)).exists()
    for payment in Payment.objects.filter(succeeded_at__isnull=False):
        booked = LedgerTransaction.objects.get(key=f"payment:{payment.pk}")
        assert booked.created_at == payment.succeeded_at == payment.order.paid_at
        assert payment.order.created_at <= payment.succeeded_at
    for parcel in Fulfilment.objects.filter(delivered_at__isnull=False):
        assert parcel.order.paid_at <= parcel.shipped_at <= parcel.delivered_at <= now

    # Refunds (whole orders and single lines) and orders cancelled before they were paid.
    assert orders.filter(status=OrderStatus.REFUNDED).exists()
    assert Refund.objects.filter(includes_shipping=False).exists()
    for refund in Refund.objects.all():
        assert LedgerTransaction.objects.get(key=f"refund:{refund.pk}").created_at == refund.created_at
    assert orders.filter(status=OrderStatus.CANCELLED, paid_at__isnull=True).exists()

    # Orders credited to a billed campaign click, each click within the week before its order, and
    # to shared links; the clicks' spend is booked on the click's day.
    credited = OrderAttribution.objects.filter(campaign__isnull=False).select_related("click", "order")
    assert credited.count() >= 5
    for credit in credited:
        assert credit.click.outcome == ClickOutcome.BILLED
        assert timezone.timedelta(0) <= credit.order.created_at - credit.click.created_at <= timezone.timedelta(days=7)
    assert OrderAttribution.objects.filter(share_visit__isnull=False).exists()
    assert Click.objects.exclude(outcome=ClickOutcome.BILLED).exists()
    for spend in Spend.objects.select_related("click"):
        assert LedgerTransaction.objects.get(key=f"promotion-click-{spend.click_id}").created_at == spend.created_at

    # Month-end payouts: most paid with a reference, one failed (its money back on the payable),
    # each one's settled entries adding up to its amount.
    payouts = Payout.objects.all()
    assert payouts.filter(status=PayoutStatus.PAID).count() >= 10
    assert payouts.filter(status=PayoutStatus.FAILED).count() == 1
    assert not payouts.filter(status=PayoutStatus.PAID, reference="").exists()
    for payout in payouts.exclude(status=PayoutStatus.FAILED):
        settled = ledger.from_fen(payout.settled_entries.aggregate(fen=ledger.fen_sum("amount"))["fen"])
        assert settled == -payout.amount
        assert LedgerTransaction.objects.get(key=f"payout:{payout.pk}").created_at == payout.created_at
        assert (timezone.localtime(payout.created_at) + timezone.timedelta(hours=1)).day == 1  # at a month's end
    failed = payouts.get(status=PayoutStatus.FAILED)
    assert not failed.settled_entries.exists()
    assert LedgerTransaction.objects.filter(key=f"payout-failed:{failed.pk}").exists()

    # The command names one login per role.
    for role, username, _what in seed.demo_logins():
        assert username in output, role
    assert {role for role, _username, _what in seed.demo_logins()} >= {
        "NGO officer",
        "sponsor's staff",
        "farmer (phone)",
        "cooperative manager",
        "shopper",
    }

    # Seeding again changes nothing.
    before = snapshot()
    assert "already seeded" in seed_demo()
    assert snapshot() == before
    assert year.has_year()

    # A reset removes the year with the demo, payouts and their bookings included.
    out = StringIO()
    call_command("seed_demo", "--products", "600", "--orders", "0", "--reset", stdout=out)
    assert not Payout.objects.exists() and not Order.objects.exists() and not Refund.objects.exists()
    assert not LedgerTransaction.objects.filter(key__startswith="payout").exists()
    assert not ledger.unbalanced_transactions().exists()
