"""Attribution and campaign figures: an order is credited to its shopper's last billable click
within seven days (by browser cookie or by account), and each campaign counts what it showed,
what was clicked and billed, and the orders, revenue and farmer income its clicks brought."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import Payment
from payments.shopper_payments import confirm_offline_payment
from promotion import tokens
from promotion.attribution import ATTRIBUTION_WINDOW
from promotion.budget import reconcile_campaigns
from promotion.models import ClickOutcome, OrderAttribution
from promotion.stats import campaign_stats, stats_for
from shop.orders import cancel_order
from tests import factories as f
from tests.promotion.clicking import BROWSER, click
from tests.shop import buying

pytestmark = pytest.mark.django_db

COOKIE = "c:" + "b" * 32


@pytest.fixture
def goods():
    return buying.variant(price="30.00", stock=50, weight_kg="0.8")


def order_by(viewer_keys, items, user=None):
    checkout = buying.ready_checkout(items, user=user)
    from shop.checkout import complete_checkout

    return complete_checkout(user, checkout, "offline", viewer_keys)


def paid(order):
    """Campaign figures count an order once it is paid."""
    confirm_offline_payment(f.staff_user(), Payment.objects.get(order=order))
    return order


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def test_an_order_within_seven_days_of_a_billed_click_is_attributed_to_it(goods):
    campaign = f.campaign(products=[goods.product])
    clicked = click(campaign, goods.product, viewer=COOKIE, now=days_ago(6.9))
    order = order_by([COOKIE], [(goods, 1)])
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.click, attribution.campaign) == (clicked, campaign)


def test_an_order_after_seven_days_is_not_attributed(goods):
    campaign = f.campaign(products=[goods.product])
    click(campaign, goods.product, viewer=COOKIE, now=timezone.now() - ATTRIBUTION_WINDOW - datetime.timedelta(hours=1))
    order = order_by([COOKIE], [(goods, 1)])
    assert not OrderAttribution.objects.filter(order=order).exists()


def test_several_clicks_credit_the_last_billable_one(goods):
    first = f.campaign(products=[goods.product])
    second = f.campaign(products=[goods.product])
    click(first, goods.product, viewer=COOKIE, now=days_ago(3))
    last_billed = click(second, goods.product, viewer=COOKIE, now=days_ago(1))
    # Later clicks that were not billed do not take the credit: a bot-like agent, a repeat.
    assert click(first, goods.product, viewer=COOKIE, now=days_ago(0.5), user_agent="curl/8").outcome == "bot"
    assert click(second, goods.product, viewer=COOKIE, now=days_ago(1) + datetime.timedelta(minutes=2)).outcome == (
        ClickOutcome.REPEAT
    )
    order = order_by([COOKIE], [(goods, 1)])
    assert OrderAttribution.objects.get(order=order).click == last_billed
    paid(order)
    assert campaign_stats(second).orders == 1 and campaign_stats(first).orders == 0


def test_an_account_links_a_click_on_the_phone_to_an_order_on_another_browser(goods):
    shopper = f.user(email="shopper@example.com")
    campaign = f.campaign(products=[goods.product])
    clicked = click(campaign, goods.product, viewer=f"u:{shopper.pk}", user=shopper, now=days_ago(2))
    order = order_by(["c:" + "c" * 32], [(goods, 1)], user=shopper)  # a browser never used to click
    assert OrderAttribution.objects.get(order=order).click == clicked


def test_another_shoppers_order_is_not_attributed(goods):
    campaign = f.campaign(products=[goods.product])
    click(campaign, goods.product, viewer=COOKIE, now=days_ago(1))
    order = order_by(["c:" + "d" * 32], [(goods, 1)])
    assert not OrderAttribution.objects.filter(order=order).exists()


def test_checkout_complete_over_graphql_reads_the_viewer_cookie(client, goods):
    campaign = f.campaign(products=[goods.product])
    response = client.get(f"/r/{tokens.issue(campaign.pk, goods.product.pk, timezone.now())}", HTTP_USER_AGENT=BROWSER)
    assert "shanhuo_viewer" in response.cookies  # the browser now carries it
    checkout = buying.ready_checkout([(goods, 2)])
    payload = client.post(
        "/graphql/",
        json.dumps(
            {
                "query": "mutation($id: ID!) { checkoutComplete(id: $id, paymentMethod: OFFLINE) "
                "{ order { id } errors { code } } }",
                "variables": {"id": _checkout_gid(checkout)},
            }
        ),
        content_type="application/json",
    ).json()
    assert payload["data"]["checkoutComplete"]["errors"] == []
    attribution = OrderAttribution.objects.get()
    assert attribution.campaign == campaign and attribution.order.total == Decimal("72.00")  # 2 × 30 + 12


def _checkout_gid(checkout) -> str:
    from graphql_relay import to_global_id

    return to_global_id("Checkout", str(checkout.pk))


def test_a_click_then_a_cancelled_order_brings_nothing(goods):
    campaign = f.campaign(products=[goods.product], bid=Decimal("0.60"))
    click(campaign, goods.product, viewer=COOKIE, now=days_ago(1))
    order = order_by([COOKIE], [(goods, 1)])
    assert OrderAttribution.objects.get(order=order).campaign == campaign
    assert campaign_stats(campaign).orders == 0  # credited, but it counts only once paid
    cancel_order(f.staff_user(), order)
    stats = campaign_stats(campaign)
    assert (stats.orders, stats.revenue, stats.farmer_income) == (0, Decimal("0.00"), Decimal("0.00"))
    # The click was still billed: the sponsor paid for the visit, not for the sale.
    assert (stats.billed_clicks, stats.spend) == (1, Decimal("0.60"))


def test_campaign_figures(goods, settings):
    """Impressions from serving, clicks of every kind, spend, and what the paid orders brought:
    revenue is their goods (no shipping), farmer income those goods less the platform's fee."""
    settings.PLATFORM_FEE_PERCENT = "10"
    from promotion.serving import choose

    campaign = f.campaign(products=[goods.product], bid=Decimal("0.50"))
    other = f.campaign(products=[f.product()])
    for _ in range(4):
        assert choose(2, timezone.now())  # each call shows both campaigns once
    click(campaign, goods.product, viewer=COOKIE, now=days_ago(1))
    click(campaign, goods.product, viewer="c:" + "e" * 32, now=days_ago(1))
    click(campaign, goods.product, viewer=COOKIE, now=days_ago(1) + datetime.timedelta(minutes=1))  # repeat
    first = order_by([COOKIE], [(goods, 2)])  # 60.00 + 12.00 shipping (1.6 kg)
    second = order_by(["c:" + "e" * 32], [(goods, 1)])  # 30.00 + 8.00
    confirm_offline_payment(f.staff_user(), Payment.objects.get(order=first))  # only the first is paid

    reconcile_campaigns(timezone.now())  # on the Redis path impressions reach the database this way, each minute
    stats = stats_for([campaign.pk, other.pk])
    mine = stats[campaign.pk]
    assert (mine.impressions, mine.clicks, mine.billed_clicks, mine.spend) == (4, 3, 2, Decimal("1.00"))
    assert OrderAttribution.objects.get(order=second).campaign == campaign  # credited, but never paid:
    assert (mine.orders, mine.revenue) == (1, first.subtotal)  # the second order does not count
    # The first order's goods, 60.00, less the 10% fee on them (6.00).
    assert mine.farmer_income == Decimal("54.00")
    assert stats[other.pk].impressions == 4 and stats[other.pk].orders == 0


def test_figures_of_many_campaigns_cost_the_same_queries_as_one(goods, django_assert_max_num_queries):
    campaigns = [f.campaign(products=[goods.product]) for _ in range(5)]
    with django_assert_max_num_queries(6):
        stats_for([c.pk for c in campaigns])
