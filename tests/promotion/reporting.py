"""A campaign with a known history over two Asia/Shanghai days, for the report and page tests.

Day A (two days ago):  10:00 billed click (viewer 1), 10:05 its repeat, 11:00 a bot's click,
                       23:30 billed click (viewer 4; 15:30 UTC), 40 impressions, and at 12:00
                       order 1 of viewer 1: 2 × 30.00, paid (fee 10% = 6.00).
Day B (yesterday):     00:30 billed click (viewer 2; 16:30 UTC of day A), 25 impressions, and at
                       12:00 order 2 of viewer 2: 30.00 + 20.00, paid, the 20.00 line refunded;
                       at 13:00 order 3 of viewer 4, never paid.
Bid 0.50. Another sponsor's campaign gets a billed click on day A.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from payments.models import Payment
from payments.shopper_payments import confirm_offline_payment, refund_payment
from promotion.clock import budget_day, day_start
from promotion.models import Campaign, CampaignDay
from shop.checkout import complete_checkout
from shop.models import Order
from tests import factories as f
from tests.promotion.clicking import click
from tests.shop import buying

VIEWERS = {n: f"c:{str(n) * 32}" for n in (1, 2, 3, 4, 5)}
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@dataclass
class History:
    campaign: Campaign
    other: Campaign
    day_a: datetime.date
    day_b: datetime.date
    today: datetime.date


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return day_start(day) + datetime.timedelta(hours=hour, minutes=minute)


def _order(viewer: str, items, placed: datetime.datetime) -> Order:
    order = complete_checkout(None, buying.ready_checkout(items), "offline", [viewer])
    Order.objects.filter(pk=order.pk).update(created_at=placed)  # placed on its day of the story
    return order


def two_days(settings, sponsor=None) -> History:
    settings.PLATFORM_FEE_PERCENT = "10"
    today = budget_day(timezone.now())
    day_a, day_b = today - datetime.timedelta(days=2), today - datetime.timedelta(days=1)
    goods = buying.variant(price="30.00", stock=50, weight_kg="0.8")
    extra = buying.variant(price="20.00", stock=50, weight_kg="0.5")
    campaign = f.campaign(
        sponsor_=sponsor,
        products=[goods.product],
        bid=Decimal("0.50"),
        starts_at=at(day_a, 0) - datetime.timedelta(days=3),
    )
    other = f.campaign(products=[goods.product], bid=Decimal("0.70"))

    click(campaign, goods.product, viewer=VIEWERS[1], now=at(day_a, 10))
    click(campaign, goods.product, viewer=VIEWERS[1], now=at(day_a, 10, 5))  # repeat
    click(campaign, goods.product, viewer=VIEWERS[3], now=at(day_a, 11), user_agent=BOT)
    click(campaign, goods.product, viewer=VIEWERS[4], now=at(day_a, 23, 30))
    click(campaign, goods.product, viewer=VIEWERS[2], now=at(day_b, 0, 30))
    click(other, goods.product, viewer=VIEWERS[5], now=at(day_a, 9))
    # Impressions as the counters hold them (on the Redis path the reconcile task writes them here).
    for which, day, impressions in ((campaign, day_a, 40), (campaign, day_b, 25), (other, day_a, 1000)):
        CampaignDay.objects.update_or_create(campaign=which, day=day, defaults={"impressions": impressions})

    staff = f.staff_user()
    first = _order(VIEWERS[1], [(goods, 2)], at(day_a, 12))
    confirm_offline_payment(staff, Payment.objects.get(order=first))
    second = _order(VIEWERS[2], [(goods, 1), (extra, 1)], at(day_b, 12))
    confirm_offline_payment(staff, Payment.objects.get(order=second))
    refund_payment(staff, Payment.objects.get(order=second), [second.lines.get(unit_price=Decimal("20.00"))])
    _order(VIEWERS[4], [(goods, 1)], at(day_b, 13))  # never paid
    return History(campaign=campaign, other=other, day_a=day_a, day_b=day_b, today=today)
