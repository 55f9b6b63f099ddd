"""The whole way, in a real browser, as a shopper on a 360 px phone reading Chinese: from a promoted
card in the feed to a card payment for two farmers' goods, and on to the parcels they send.

Stripe is localstripe (the only mock, at the network's edge): the page loads localstripe's copy of
Stripe.js, confirms the card with the order's client secret, and localstripe posts its signed
`payment_intent.succeeded` webhook to the live server, which verifies it with the real `stripe`
library and marks the order paid. The browser's user agent is an ordinary phone's, so the feed
click is billed like a real one."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from promotion.models import Click, ClickOutcome, OrderAttribution
from shop.models import FulfilmentStatus, Order, OrderStatus
from tests import factories as f
from tests.payments.stripe_js import fill_card
from tests.shop.buying import shipping_method, variant

from .accessibility import assert_accessible, assert_inputs_labelled, assert_touch_targets
from .chromium import PHONE
from .shopping import PHONE_BROWSER, add_to_cart, check_out_as_guest, no_sideways_scroll, submit

pytestmark = pytest.mark.django_db(transaction=True)


def looks_right(page, name, output_dir):
    """What every storefront page must be on a phone: accessible, labelled, thumb-sized, no sideways scroll."""
    assert_accessible(page, name, output_dir)
    assert_inputs_labelled(page)
    assert_touch_targets(page)
    assert no_sideways_scroll(page), f"{name} scrolls sideways at 360 px"
    page.screenshot(path=output_dir / f"{name}.png", full_page=True)


def test_from_a_feed_card_to_a_card_payment_and_the_parcels(
    live_server, browser, localstripe_webhooks, output_dir, settings
):
    settings.STRIPE_JS_URL = localstripe_webhooks.url + "/js.stripe.com/v3/"
    shipping_method()
    grower = f.farmer(village_=f.village(name="十八洞村"), name="龙大姐")
    grower.user.set_password("kiwi-orchard-1")
    grower.user.save()
    kiwi = variant(price="39.90", stock=10, weight_kg="2.5", seller=grower, name="十八洞红心猕猴桃").product
    honey = variant(price="58.00", stock=4, weight_kg="1.0", name="高山土蜂蜜").product
    campaign = f.campaign(f.sponsor(name="山路公益基金会"), products=[kiwi], bid=Decimal("0.50"))
    f.story(village_=grower.village, title="十八洞的猕猴桃熟了", body="九月，猕猴桃进入采摘期。")
    for n in range(6):  # organic items around the promoted slot
        f.product(name=f"山货{n}")

    context = browser.new_context(viewport=PHONE, locale="zh-CN", user_agent=PHONE_BROWSER)
    context.set_default_timeout(15_000)
    page = context.new_page()

    # From the feed's promoted card to the goods, then a second farmer's goods.
    page.goto(live_server.url + "/feed/")
    page.locator(".card-promoted h3").click()
    page.wait_for_url("**/p/**")
    assert page.locator("h1").inner_text() == kiwi.name
    page.screenshot(path=output_dir / "1-product.png", full_page=True)
    page.fill("input[name=quantity]", "2")
    page.get_by_role("button", name="加入购物车").click()
    page.wait_for_url("**/cart/")
    add_to_cart(page, live_server.url, honey, 1)
    assert page.locator(".store-parcel").count() == 2, "a parcel per farmer"
    looks_right(page, "2-cart", output_dir)

    # Check out as a guest and pay by card.
    page.get_by_role("link", name="去结算").click()
    page.wait_for_url("**/checkout/")
    looks_right(page, "3-address", output_dir)
    page.goto(live_server.url + "/cart/")
    check_out_as_guest(page, "guest@example.com")
    page.get_by_label("银行卡（Stripe）").check()
    looks_right(page, "4-review", output_dir)
    submit(page)
    page.wait_for_url("**/orders/**")
    link = page.url
    order = Order.objects.get()
    assert order.total == Decimal("160.80")  # 2 × 39.90 + 58.00 + 15 + 8
    page.screenshot(path=output_dir / "5-pay.png", full_page=True)
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="马上付款").click()
    page.wait_for_url("**?paid=1")
    assert "正在等银行确认" in page.inner_text("main")
    # The page looks again every 3 s until localstripe's signed webhook has marked the order paid
    # (watched through the page, not the database, which the live server is writing meanwhile).
    expect(page.locator(".store-status")).to_have_text("已付款", timeout=20_000)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment.stripe_payment_intent
    page.goto(link)
    looks_right(page, "6-confirmation", output_dir)

    # The feed click was billed, and the order is credited to the campaign.
    click = Click.objects.get()
    assert click.outcome == ClickOutcome.BILLED and click.cost == Decimal("0.50")
    assert OrderAttribution.objects.get(order=order).campaign == campaign

    # The kiwi grower sends her parcel.
    farmer = browser.new_context(viewport=PHONE, locale="zh-CN")
    desk = farmer.new_page()
    desk.goto(live_server.url + "/accounts/login/")
    desk.fill("#id_username", grower.user.username)
    desk.fill("#id_password", "kiwi-orchard-1")
    submit(desk)
    desk.goto(live_server.url + "/farmer/orders/")
    parcel = order.fulfilments.get(farmer=grower)
    form = desk.locator(f"#ship-{parcel.pk}")
    form.locator("select").first.select_option("顺丰速运")
    form.locator("input[name$=tracking_number]").fill("SF1234567890")
    form.locator("button[type=submit]").click()
    desk.wait_for_load_state("networkidle")
    farmer.close()
    parcel.refresh_from_db()
    assert parcel.status == FulfilmentStatus.SHIPPED

    # The guest's link shows the kiwi parcel on its way and the honey still waiting.
    page.goto(link)
    kiwi_parcel = page.locator(".store-parcel", has_text="龙大姐")
    honey_parcel = page.locator(".store-parcel", has_text="高山土蜂蜜")
    assert "已发货" in kiwi_parcel.inner_text() and "SF1234567890" in kiwi_parcel.inner_text()
    assert "待发货" in honey_parcel.inner_text() and "SF1234567890" not in honey_parcel.inner_text()
    assert page.locator(".store-status").inner_text() == "部分发货"
    page.screenshot(path=output_dir / "7-one-parcel-shipped.png", full_page=True)
    context.close()
