"""Share links: one per product and sharer, visits recorded and never billed, and orders credited
to a share visit like a feed click when it was the shopper's last touch within seven days; the
sharer's own visits and bots' are kept but never credited."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import resolve, reverse
from django.utils import timezone

from core.viewers import VIEWER_COOKIE
from payments.models import Entry, LedgerTransaction, Payment
from payments.shopper_payments import confirm_offline_payment
from promotion.attribution import ATTRIBUTION_WINDOW
from promotion.models import Click, OrderAttribution, ShareLink, ShareVisit, ShareVisitOutcome, Spend
from promotion.shares import record_visit, share_link_for
from promotion.stats import campaign_stats
from shop.checkout import complete_checkout
from tests import factories as f
from tests.promotion.clicking import BROWSER, click
from tests.shop import buying

pytestmark = pytest.mark.django_db

SHARER = "c:" + "a" * 32
FRIEND = "c:" + "f" * 32


@pytest.fixture
def goods():
    return buying.variant(price="30.00", stock=50, weight_kg="0.8")


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def visit(link, viewer=FRIEND, now=None, user=None, user_agent=BROWSER, viewer_keys=()):
    return record_visit(
        link, viewer_key=viewer, viewer_keys=viewer_keys, user=user, user_agent=user_agent, now=now
    ).visit


def order_by(viewer_keys, items, user=None):
    return complete_checkout(user, buying.ready_checkout(items, user=user), "offline", viewer_keys)


# --- The link ------------------------------------------------------------------------------------


def test_the_same_sharer_gets_the_same_link_and_another_sharer_another(goods):
    product = goods.product
    first = share_link_for(product, sharer_key=SHARER)
    assert share_link_for(product, sharer_key=SHARER) == first
    other = share_link_for(product, sharer_key="c:" + "b" * 32)
    assert other != first and other.token != first.token
    assert share_link_for(f.product(), sharer_key=SHARER) != first  # one per product too
    assert ShareLink.objects.count() == 3


def test_a_signed_in_sharer_is_known_by_the_account(goods):
    sharer = f.user()
    link = share_link_for(goods.product, sharer_key=f"u:{sharer.pk}", user=sharer)
    assert (link.sharer, link.sharer_key) == (sharer, f"u:{sharer.pk}")
    assert share_link_for(goods.product, sharer_key=f"u:{sharer.pk}", user=sharer) == link


def test_tokens_are_short_url_safe_and_random(goods):
    tokens = {share_link_for(goods.product, sharer_key=f"c:{n:032x}").token for n in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        assert len(token) == 16 and token.replace("-", "").replace("_", "").isalnum() and token.isascii()


def test_asking_for_the_poster_twice_makes_one_link_for_the_browser(client, goods):
    url = reverse("promotion:poster", kwargs={"slug": goods.product.slug})
    first = client.get(url)  # a first visit gets its viewer cookie and is sent back
    assert first.status_code == 302 and VIEWER_COOKIE in first.cookies  # the browser is known from now on
    assert not ShareLink.objects.exists()
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    link = ShareLink.objects.get()
    assert link.sharer is None and link.sharer_key == f"c:{first.cookies[VIEWER_COOKIE].value}"


def test_the_urls(goods):
    assert reverse("promotion:share", kwargs={"token": "abc"}) == "/s/abc"
    slug = goods.product.slug  # Chinese: reversed percent-encoded, resolved as the browser sends it
    page = reverse("shop:product", kwargs={"slug": slug})
    assert reverse("promotion:poster", kwargs={"slug": slug}) == page + "poster.png"
    assert resolve(f"/p/{slug}/poster.png").view_name == "promotion:poster"
    assert resolve(f"/p/{slug}/").view_name == "shop:product"


# --- Visits --------------------------------------------------------------------------------------


def test_a_visit_is_recorded_and_lands_on_the_product_never_billed(client, goods):
    link = share_link_for(goods.product, sharer_key=SHARER)
    response = client.get(f"/s/{link.token}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:product", kwargs={"slug": goods.product.slug})
    assert VIEWER_COOKIE in response.cookies
    [made] = ShareVisit.objects.all()
    assert made.outcome == ShareVisitOutcome.CREDITED
    assert made.viewer_key == f"c:{response.cookies[VIEWER_COOKIE].value}"
    assert made.user_agent == BROWSER and made.link == link
    assert not Click.objects.exists() and not Spend.objects.exists() and not LedgerTransaction.objects.exists()


def test_a_signed_in_visitor_is_recorded_by_account(client, goods):
    shopper = f.user()
    client.force_login(shopper)
    link = share_link_for(goods.product, sharer_key=SHARER)
    client.get(f"/s/{link.token}", HTTP_USER_AGENT=BROWSER)
    made = ShareVisit.objects.get()
    assert (made.user, made.viewer_key, made.outcome) == (shopper, f"u:{shopper.pk}", ShareVisitOutcome.CREDITED)


def test_a_forged_token_is_not_found(client, goods):
    share_link_for(goods.product, sharer_key=SHARER)
    assert client.get("/s/AAAAAAAAAAAAAAAA", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get("/s/" + "x" * 500, HTTP_USER_AGENT=BROWSER).status_code == 404
    assert not ShareVisit.objects.exists()


def test_a_link_to_goods_no_longer_on_sale_lands_on_the_shop_and_is_not_credited(client, goods):
    from shop import catalog

    link = share_link_for(goods.product, sharer_key=SHARER)
    catalog.update_product(goods.product.farmer.user, goods.product, is_published=False)
    response = client.get(f"/s/{link.token}", HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Location"]) == (302, reverse("shop:home"))
    assert ShareVisit.objects.get().outcome == ShareVisitOutcome.HIDDEN


def test_the_sharers_own_visits_and_bots_are_recorded_but_not_credited(client, goods):
    sharer = f.user()
    link = share_link_for(goods.product, sharer_key=f"u:{sharer.pk}", user=sharer)
    assert visit(link, viewer=f"u:{sharer.pk}", user=sharer).outcome == ShareVisitOutcome.OWN
    assert visit(link, user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)").outcome == ShareVisitOutcome.BOT
    assert visit(link, user_agent="").outcome == ShareVisitOutcome.BOT

    # A sharer who made the link before signing in is known by the browser cookie on it still.
    anonymous = share_link_for(goods.product, sharer_key=SHARER)
    signed_in = visit(anonymous, viewer=f"u:{sharer.pk}", user=sharer, viewer_keys=[f"u:{sharer.pk}", SHARER])
    assert signed_in.outcome == ShareVisitOutcome.OWN

    # Through the view: the sharer's browser opens its own link.
    client.force_login(sharer)
    client.get(f"/s/{link.token}", HTTP_USER_AGENT=BROWSER)
    assert ShareVisit.objects.order_by("-id").first().outcome == ShareVisitOutcome.OWN

    order = order_by([SHARER, f"u:{sharer.pk}"], [(goods, 1)], user=sharer)
    bot_viewer_order = order_by([FRIEND], [(goods, 1)])  # FRIEND only ever came as a bot
    assert not OrderAttribution.objects.filter(order__in=[order, bot_viewer_order]).exists()


# --- Attribution ---------------------------------------------------------------------------------


def test_an_order_within_seven_days_of_a_share_visit_is_credited_to_it_without_charge(goods):
    campaign = f.campaign(products=[goods.product])  # running, but the shopper never clicked it
    link = share_link_for(goods.product, sharer_key=SHARER)
    visited = visit(link, now=days_ago(6.9))
    order = order_by([FRIEND], [(goods, 1)])
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.share_visit, attribution.click, attribution.campaign) == (visited, None, None)
    assert not Spend.objects.exists() and not Entry.objects.filter(transaction__key__startswith="promotion").exists()
    stats = campaign_stats(campaign)  # campaign reports do not count the share's order
    assert (stats.orders, stats.revenue, stats.spend) == (0, Decimal("0.00"), Decimal("0.00"))


def test_an_order_after_seven_days_is_not_credited(goods):
    link = share_link_for(goods.product, sharer_key=SHARER)
    visit(link, now=timezone.now() - ATTRIBUTION_WINDOW - datetime.timedelta(hours=1))
    order = order_by([FRIEND], [(goods, 1)])
    assert not OrderAttribution.objects.filter(order=order).exists()


def test_the_account_links_a_share_visit_to_an_order_on_another_browser(goods):
    shopper = f.user()
    link = share_link_for(goods.product, sharer_key=SHARER)
    visited = visit(link, viewer=f"u:{shopper.pk}", user=shopper, now=days_ago(1))
    order = order_by(["c:" + "9" * 32], [(goods, 1)], user=shopper)
    assert OrderAttribution.objects.get(order=order).share_visit == visited


def test_a_campaign_click_after_the_share_visit_takes_the_credit(goods):
    campaign = f.campaign(products=[goods.product])
    visit(share_link_for(goods.product, sharer_key=SHARER), now=days_ago(3))
    clicked = click(campaign, goods.product, viewer=FRIEND, now=days_ago(1))
    order = order_by([FRIEND], [(goods, 1)])
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.click, attribution.campaign, attribution.share_visit) == (clicked, campaign, None)
    confirm_offline_payment(f.staff_user(), Payment.objects.get(order=order))  # an order counts once paid
    assert campaign_stats(campaign).orders == 1


def test_a_share_visit_after_the_campaign_click_takes_the_credit(goods):
    campaign = f.campaign(products=[goods.product], bid=Decimal("0.60"))
    click(campaign, goods.product, viewer=FRIEND, now=days_ago(3))
    visited = visit(share_link_for(goods.product, sharer_key=SHARER), now=days_ago(1))
    order = order_by([FRIEND], [(goods, 1)])
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.share_visit, attribution.click, attribution.campaign) == (visited, None, None)
    stats = campaign_stats(campaign)
    assert (stats.orders, stats.billed_clicks, stats.spend) == (0, 1, Decimal("0.60"))  # the click was still paid


def test_a_later_own_visit_does_not_take_the_credit_from_a_click(goods):
    """Only creditable visits compete: the shopper opening their own link after clicking an ad."""
    campaign = f.campaign(products=[goods.product])
    clicked = click(campaign, goods.product, viewer=FRIEND, now=days_ago(2))
    visit(share_link_for(goods.product, sharer_key=FRIEND), viewer=FRIEND, now=days_ago(1))
    order = order_by([FRIEND], [(goods, 1)])
    assert OrderAttribution.objects.get(order=order).click == clicked


def test_an_attribution_holds_exactly_one_touch(goods):
    order = buying.place_order([(goods, 1)])
    campaign = f.campaign(products=[goods.product])
    clicked = click(campaign, goods.product)
    visited = visit(share_link_for(goods.product, sharer_key=SHARER))
    for fields in (
        {},  # neither
        {"click": clicked, "campaign": campaign, "share_visit": visited},  # both
        {"share_visit": visited, "campaign": campaign},  # a campaign credited for a share
        {"click": clicked},  # a click without its campaign
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderAttribution.objects.create(order=order, **fields)


def test_no_farmer_phone_or_id_in_what_a_share_serves(client, goods):
    farmer = goods.product.farmer
    link = share_link_for(goods.product, sharer_key=SHARER)
    redirect = client.get(f"/s/{link.token}", HTTP_USER_AGENT=BROWSER)
    page = client.get(redirect["Location"])
    poster = client.get(reverse("promotion:poster", kwargs={"slug": goods.product.slug}))
    for response in (redirect, page, poster):
        served = response.content + str(response.headers).encode()
        assert farmer.phone.encode() not in served and farmer.id_number.encode() not in served
