"""A year of orders ending today, so that earnings, payouts, impact and sponsor pages show history.

Every order is replayed through the real services, in time order: checkout → place the order →
the operator confirms the offline payment → each parcel shipped → delivered; some are refunded
(whole, or one line), some cancelled before they are paid; some follow a billed click on a demo
campaign (`promotion.clicks.record_click`) or a visit through a shared link
(`promotion.shares.record_visit`) and are credited to it (`promotion.attribution`). At each month
end the payout run pays the sellers (`payments.payouts.run(now=…)`); the operator records most
payouts paid with a bank reference, and one failed.

Why replay rather than insert rows: the ledger's transactions, fees, refunds and payouts are then
exactly what the services book, balanced and settled as they would be. The services read the
clock themselves (except the click, the visit and the payout run, which take `now`), so after each
step the rows it wrote are dated back to the moment it stands for: the order's, payment's, parcel's
and refund's times, and every ledger transaction booked by the step (`_Clock.stamp`). Steps of all
orders run in one time-ordered queue, so a month-end payout run sees exactly what had happened by
then, and each figure is dated on the day it happened.

Everything random comes from the seed's own stream; only "today" moves the dates."""

import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q
from django.utils import timezone

from farmers.models import Cooperative, Farmer
from payments import payouts
from payments import shopper_payments as payments
from payments.models import LedgerTransaction, Payment, Payout, PayoutStatus, Refund
from promotion import attribution, shares, tokens
from promotion.clicks import record_click
from promotion.models import Campaign, CampaignDay, OrderAttribution, ShareLink
from shop import checkout as checkouts
from shop import orders as shop_orders
from shop.models import Checkout, Fulfilment, Order, OrderLine, ShippingMethod, Variant
from shop.selectors import visible_products

from . import data

DAYS = 365
ORDERS = 200
SHOPPERS = 80  # guests besides the demo shopper's account
EMAIL_DOMAIN = "demo.shanhuo.example"
MOBILE_AGENT = "Mozilla/5.0 (Linux; Android 13; V2049A) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
CRAWLER_AGENT = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"
CLICKS_PER_ORDER = 2  # clicks on promoted slots that bought nothing, per promoted order
FAILED_PAYOUT_MONTHS_AGO = 5  # the first payout of that month-end run bounces


@dataclass
class YearResult:
    orders: int = 0
    outcomes: Counter = field(default_factory=Counter)


def has_year() -> bool:
    """The year's guest orders mark it: an older demo without them gets its year added."""
    return Order.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists()


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


class _Clock:
    """Dates back what a step wrote: every ledger transaction booked since the last stamp."""

    def __init__(self):
        self.last = LedgerTransaction.objects.aggregate(last=Max("pk"))["last"] or 0

    def stamp(self, when: datetime) -> None:
        booked = LedgerTransaction.objects.filter(pk__gt=self.last)
        if booked.update(created_at=when):
            self.last = booked.aggregate(last=Max("pk"))["last"]


@dataclass
class _Shopper:
    email: str
    user: object = None
    recipient: str = ""
    phone: str = ""
    address: tuple = ()


@dataclass
class _Plan:
    """One order as decided before the year is replayed."""

    at: datetime
    shopper: _Shopper
    items: list  # [(Variant, quantity)]
    touch: str = ""  # "click", "share" or ""
    campaign: Campaign | None = None
    fate: str = "delivered"  # "delivered", "cancelled", "refunded", "line_refunded"
    order: Order | None = None
    viewer_key: str = ""


class _Year:
    def __init__(self, rng: random.Random, operator, now: datetime):
        self.rng = rng
        self.operator = operator
        self.now = now
        self.clock = _Clock()
        self.queue: list = []
        self.sequence = itertools.count()
        self.result = YearResult()
        self.method = ShippingMethod.objects.filter(is_active=True).order_by("position", "pk").first()
        self.variants = list(
            Variant.objects.filter(product__in=visible_products(), stock__gte=8)
            .select_related("product__category__parent", "product__farmer", "product__cooperative")
            .order_by("pk")
        )
        self.stock = {variant.pk: variant.stock for variant in self.variants}

    # --- Planning ---------------------------------------------------------------------------

    def at(self, when: datetime, step, *args) -> None:
        if when <= self.now:
            heapq.heappush(self.queue, (when, next(self.sequence), step, args))

    def run(self) -> None:
        while self.queue:
            when, _seq, step, args = heapq.heappop(self.queue)
            step(when, *args)
            self.clock.stamp(when)

    def in_season(self, variant: Variant, month: int) -> float:
        category = variant.product.category
        months = data.SEASONS.get(category.slug) or (category.parent and data.SEASONS.get(category.parent.slug))
        return 1.0 if not months else (4.0 if month in months else 0.25)

    def pick(self, month: int, among=None) -> Variant:
        among = among or self.variants
        return self.rng.choices(among, weights=[self.in_season(v, month) for v in among])[0]

    def order_times(self, start: date, count: int) -> list[datetime]:
        """More orders as the year goes on (the shop grows), and around 双十一 and the New Year."""
        days = [start + timedelta(days=offset) for offset in range(DAYS)]
        weights = [
            (0.5 + offset / DAYS)
            * (2.0 if (day.month, day.day) >= (11, 8) and day.month == 11 else 1.0)
            * (1.5 if day.month in (1, 12) else 1.0)
            for offset, day in enumerate(days)
        ]
        times = []
        for day in self.rng.choices(days, weights=weights, k=count):
            moment = local(day, self.rng.randint(7, 22), self.rng.randint(0, 59))
            if moment > self.now - timedelta(hours=1):
                moment = self.now - timedelta(minutes=self.rng.randint(61, 600))
            times.append(moment)
        return sorted(times)

    def promoted_by(self, campaign: Campaign) -> list[Variant]:
        """The variants a click on the campaign may lead to (serving.promotes, in one query)."""
        products = set(campaign.products.values_list("pk", flat=True))
        return [
            v
            for v in self.variants
            if v.product_id in products
            or (campaign.farmer_id and v.product.farmer_id == campaign.farmer_id)
            or (campaign.village_id and v.product.village_id == campaign.village_id)
        ]

    def plan(self, start: date, count: int, shoppers: list[_Shopper], campaigns: list[Campaign]) -> list[_Plan]:
        promoted = self.promoted = {campaign.pk: self.promoted_by(campaign) for campaign in campaigns}
        campaigns = [campaign for campaign in campaigns if promoted[campaign.pk]]
        plans = []
        for moment in self.order_times(start, count):
            rng = self.rng
            shopper = shoppers[0] if rng.random() < 0.15 else rng.choice(shoppers[1:])
            plan = _Plan(at=moment, shopper=shopper, items=[])
            touch = rng.random()
            if campaigns and touch < 0.16:
                plan.touch, plan.campaign = "click", rng.choice(campaigns)
                first = rng.choice(promoted[plan.campaign.pk])
            else:
                plan.touch = "share" if touch < 0.24 else ""
                first = self.pick(moment.month)
            chosen = [first]
            for _ in range(rng.choices((0, 1, 2), weights=(60, 30, 10))[0]):
                same_seller = [
                    v
                    for v in self.variants
                    if v.product.seller == first.product.seller and v.product_id not in {c.product_id for c in chosen}
                ]
                extra = rng.choice(same_seller) if same_seller and rng.random() < 0.5 else self.pick(moment.month)
                if extra.product_id not in {c.product_id for c in chosen}:
                    chosen.append(extra)
            plan.items = [(variant, rng.choices((1, 2, 3), weights=(70, 22, 8))[0]) for variant in chosen]
            fate = rng.random()
            if fate < 0.06:
                plan.fate = "cancelled"
            elif fate < 0.11:
                plan.fate = "refunded"
            elif fate < 0.16 and len(plan.items) > 1:
                plan.fate = "line_refunded"
            plans.append(plan)
        return plans

    def schedule(self, plan: _Plan) -> None:
        rng, at = self.rng, plan.at
        if plan.touch == "click":
            self.at(at - timedelta(minutes=rng.randint(3, 90)), self.click, plan)
        elif plan.touch == "share":
            self.at(at - timedelta(minutes=rng.randint(10, 600)), self.visit, plan)
        self.at(at, self.place, plan)
        if plan.fate == "cancelled":
            self.at(at + timedelta(hours=rng.randint(2, 60)), self.cancel, plan)
            return
        paid = at + timedelta(minutes=rng.randint(10, 30 * 60))
        shipped = paid + timedelta(hours=rng.randint(6, 72))
        delivered = shipped + timedelta(hours=rng.randint(36, 120))
        self.at(paid, self.pay, plan)
        self.at(shipped, self.ship, plan)
        self.at(delivered, self.deliver, plan)
        if plan.fate in ("refunded", "line_refunded"):
            self.at(delivered + timedelta(hours=rng.randint(12, 144)), self.refund, plan)

    # --- Steps ------------------------------------------------------------------------------

    def click(self, when: datetime, plan: _Plan) -> None:
        """A billed click on the promoted slot; now and then the same viewer clicks again at once
        (a repeat: recorded, not billed)."""
        plan.viewer_key = f"c:{self.rng.getrandbits(128):032x}"
        self._click(when, plan.campaign, plan.items[0][0].product_id, plan.viewer_key, plan.shopper.user)
        if self.rng.random() < 0.2:
            self._click(when + timedelta(minutes=1), plan.campaign, plan.items[0][0].product_id, plan.viewer_key)

    def _click(self, when, campaign, product_id, viewer_key, user=None, agent=MOBILE_AGENT) -> None:
        token = tokens.issue(campaign.pk, product_id, when - timedelta(seconds=self.rng.randint(5, 300)))
        outcome = record_click(token, viewer_key=viewer_key, user=user, user_agent=agent, now=when).click.outcome
        self.result.outcomes[f"click_{outcome}"] += 1

    def browse(self, when: datetime, campaign: Campaign, product_id: int) -> None:
        """A click that bought nothing (one in ten from a crawler, recorded and not billed)."""
        agent = CRAWLER_AGENT if self.rng.random() < 0.1 else MOBILE_AGENT
        self._click(when, campaign, product_id, f"c:{self.rng.getrandbits(128):032x}", agent=agent)

    def visit(self, when: datetime, plan: _Plan) -> None:
        """A friend shared the product; the shopper came through the link."""
        product = plan.items[0][0].product
        sharer = f"c:{self.rng.getrandbits(128):032x}"
        link = shares.share_link_for(product, sharer_key=sharer)
        ShareLink.objects.filter(pk=link.pk).update(created_at=when - timedelta(hours=self.rng.randint(1, 48)))
        plan.viewer_key = f"c:{self.rng.getrandbits(128):032x}"
        user = plan.shopper.user
        shares.record_visit(link, viewer_key=plan.viewer_key, user=user, user_agent=MOBILE_AGENT, now=when)

    def place(self, when: datetime, plan: _Plan) -> None:
        items = [(variant, quantity) for variant, quantity in plan.items if self.stock[variant.pk] >= quantity + 2]
        if not items:
            return
        shopper = plan.shopper
        checkout = checkouts.create_checkout(
            shopper.user, email=shopper.email, lines=[checkouts.LineRequest(v, q) for v, q in items]
        )
        province, city, district, street = shopper.address
        checkouts.update_shipping_address(
            checkout,
            {
                "province": province,
                "city": city,
                "district": district,
                "street": street,
                "recipient": shopper.recipient,
                "phone": shopper.phone,
            },
        )
        checkouts.update_delivery_method(checkout, self.method)
        keys = [plan.viewer_key] if plan.viewer_key else []
        order = checkouts.place_order(shopper.user, checkout, "offline", viewer_keys=keys).order
        for variant, quantity in items:
            self.stock[variant.pk] -= quantity
        Order.objects.filter(pk=order.pk).update(created_at=when)
        Checkout.objects.filter(pk=checkout.pk).update(
            created_at=when - timedelta(minutes=5), updated_at=when, completed_at=when
        )
        Payment.objects.filter(order=order).update(created_at=when)
        order.created_at = when
        # Credited as at the order's own moment (placing it credited it as at today's).
        if attribution.attribute_order(order, keys):
            OrderAttribution.objects.filter(order=order).update(created_at=when)
        plan.order = order
        self.result.orders += 1

    def pay(self, when: datetime, plan: _Plan) -> None:
        if plan.order is None:
            return
        reference = f"{self.rng.choice(data.PAYOUT_BANKS)} {when:%m%d}{plan.order.pk:05d}"
        payment = payments.confirm_offline_payment(self.operator, plan.order.payment, reference)
        Payment.objects.filter(pk=payment.pk).update(succeeded_at=when)
        Order.objects.filter(pk=plan.order.pk).update(paid_at=when)

    def ship(self, when: datetime, plan: _Plan) -> None:
        if plan.order is None:
            return
        for fulfilment in Fulfilment.objects.filter(order=plan.order).order_by("pk"):
            tracking = f"DEMO{self.rng.randrange(10**11):011d}"
            shop_orders.ship_fulfilment(self.operator, fulfilment, self.rng.choice(data.CARRIERS), tracking)
        Fulfilment.objects.filter(order=plan.order).update(shipped_at=when)

    def deliver(self, when: datetime, plan: _Plan) -> None:
        if plan.order is None:
            return
        for fulfilment in Fulfilment.objects.filter(order=plan.order).select_related("order").order_by("pk"):
            shop_orders.deliver_fulfilment(self.operator, fulfilment)
        Fulfilment.objects.filter(order=plan.order).update(delivered_at=when)

    def refund(self, when: datetime, plan: _Plan) -> None:
        if plan.order is None:
            return
        payment = Payment.objects.get(order=plan.order)
        lines = None
        if plan.fate == "line_refunded":
            lines = [self.rng.choice(list(OrderLine.objects.filter(order=plan.order).order_by("pk")))]
        refund = payments.refund_payment(
            self.operator, payment, lines=lines, reason=self.rng.choice(data.REFUND_REASONS)
        )
        Refund.objects.filter(pk=refund.pk).update(created_at=when)
        OrderLine.objects.filter(order=plan.order, refunded_at__isnull=False, refunded_at__gt=when).update(
            refunded_at=when
        )
        self.result.outcomes[plan.fate] += 1

    def cancel(self, when: datetime, plan: _Plan) -> None:
        if plan.order is None:
            return
        shop_orders.cancel_order(self.operator, plan.order)
        for variant, quantity in plan.items:
            if variant.pk in self.stock:
                self.stock[variant.pk] += quantity
        Order.objects.filter(pk=plan.order.pk).update(cancelled_at=when)
        self.result.outcomes["cancelled"] += 1

    def payout_run(self, when: datetime, months_ago: int) -> None:
        """The month-end run; the operator records the bank's references two days later."""
        made = payouts.run(now=when)
        Payout.objects.filter(pk__in=[payout.pk for payout in made]).update(created_at=when)
        settled = when + timedelta(days=2, hours=-13)  # 10:30 two days later
        for index, payout in enumerate(made):
            if index == 0 and months_ago == FAILED_PAYOUT_MONTHS_AGO:
                self.at(settled, self.payout_failed, payout)
            else:
                self.at(settled + timedelta(minutes=index), self.payout_paid, payout)

    def payout_paid(self, when: datetime, payout: Payout) -> None:
        reference = f"{self.rng.choice(data.PAYOUT_BANKS)} {when:%Y%m%d}{payout.pk:06d}"
        payouts.mark_paid(self.operator, payout, reference)
        Payout.objects.filter(pk=payout.pk).update(paid_at=when)

    def payout_failed(self, when: datetime, payout: Payout) -> None:
        payouts.mark_failed(self.operator, payout, data.PAYOUT_FAILURE)
        Payout.objects.filter(pk=payout.pk).update(failed_at=when)

    # --- Impressions ------------------------------------------------------------------------

    def impressions(self, campaigns: list[Campaign], start: date) -> None:
        """What serving would have counted each day: a few hundred slots shown a day per campaign."""
        today = timezone.localdate(self.now)
        for campaign in campaigns:
            days = {row.day: row for row in CampaignDay.objects.filter(campaign=campaign, day__gte=start)}
            new = []
            for offset in range((today - start).days):
                day = start + timedelta(days=offset)
                shown = self.rng.randint(120, 480)
                if day in days:
                    days[day].impressions += shown
                else:
                    new.append(CampaignDay(campaign=campaign, day=day, impressions=shown))
            CampaignDay.objects.bulk_update(days.values(), ["impressions"])
            CampaignDay.objects.bulk_create(new)


def seed_year(rng: random.Random, people: random.Random, operator, orders: int = ORDERS, now=None) -> YearResult:
    """Place and settle a year of orders ending `now` (see the module's docstring)."""
    from .seed import SHOPPER_USERNAME, fake_mobile

    now = now or timezone.now()
    start = timezone.localdate(now) - timedelta(days=DAYS - 1)
    year = _Year(rng, operator, now)
    if not year.variants or year.method is None:
        return year.result
    # The campaigns ran all year (the demo's were created today, starting yesterday).
    demo_campaigns = Campaign.objects.filter(sponsor__name__in=[item.name for item in data.SPONSORS])
    demo_campaigns.filter(starts_at__gt=local(start)).update(starts_at=local(start) - timedelta(days=1))
    campaigns = list(demo_campaigns.order_by("pk"))
    shoppers = [_Shopper(SHOPPER_USERNAME, get_user_model().objects.filter(username=SHOPPER_USERNAME).first())]
    shoppers += [_Shopper(f"shopper-{number:02d}@{EMAIL_DOMAIN}") for number in range(1, SHOPPERS + 1)]
    for shopper in shoppers:
        shopper.recipient = people.choice(data.SURNAMES) + people.choice(data.GIVEN_NAMES)
        shopper.phone = fake_mobile(people)
        shopper.address = people.choice(data.SHOPPER_ADDRESSES)
    plans = year.plan(start, orders, shoppers, campaigns)
    for plan in plans:
        year.schedule(plan)
        if plan.touch == "click":
            for _ in range(CLICKS_PER_ORDER):
                product = rng.choice(year.promoted[plan.campaign.pk]).product_id
                year.at(plan.at - timedelta(days=rng.uniform(0, 20)), year.browse, plan.campaign, product)
    month_ends = []
    first = date(start.year, start.month, 1)
    while True:
        first = (first + timedelta(days=32)).replace(day=1)
        if local(first) > now:
            break
        month_ends.append(local(first) - timedelta(minutes=30))  # 23:30 on the month's last day
    for index, moment in enumerate(month_ends):
        year.at(moment, year.payout_run, len(month_ends) - 1 - index)
    year.run()
    year.impressions(campaigns, start)
    return year.result


def year_counts() -> dict[str, int]:
    """What the year holds now, for the command's summary."""
    orders = Order.objects.filter(Q(email__endswith=f"@{EMAIL_DOMAIN}") | Q(user__username__startswith="demo-"))
    sellers = Q(farmer__in=Farmer.objects.all()) | Q(cooperative__in=Cooperative.objects.all())
    demo_payouts = Payout.objects.filter(sellers)
    return {
        "orders": orders.count(),
        "paid": orders.filter(paid_at__isnull=False).count(),
        "cancelled": orders.filter(status="cancelled").count(),
        "refunds": Refund.objects.filter(payment__order__in=orders).count(),
        "clicked": OrderAttribution.objects.filter(order__in=orders, click__isnull=False).count(),
        "shared": OrderAttribution.objects.filter(order__in=orders, share_visit__isnull=False).count(),
        "payouts_paid": demo_payouts.filter(status=PayoutStatus.PAID).count(),
        "payouts_failed": demo_payouts.filter(status=PayoutStatus.FAILED).count(),
        "payouts_pending": demo_payouts.filter(status=PayoutStatus.PENDING).count(),
    }
