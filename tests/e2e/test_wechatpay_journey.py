"""A guest in a 360 px wide browser window pays by WeChat Pay: checkout → 微信支付 → the order page
shows the Native QR code (read back from the screen with zxing-cpp: the code_url the fake WeChat
Pay returned) → the shopper scans and pays, WeChat's signed notify arrives → the page turns to paid
by itself, without a reload. The fake WeChat Pay (tests/payments/wechatpay_fake.py) answers the
live server's calls to api.mch.weixin.qq.com and signs the notify with the test's platform key.

The window is narrow but its user agent a computer's: on a phone's browser WeChat Pay sends the
shopper to its H5 page instead of showing a code."""

import io

import pytest
import zxingcpp
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from shop.models import Order, OrderStatus
from tests.shop.buying import shipping_method, variant

from .chromium import PHONE
from .shopping import add_to_cart, check_out_as_guest, no_sideways_scroll, submit

pytestmark = pytest.mark.django_db(transaction=True)

NARROW_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)


def test_guest_pays_by_wechat_qr_and_the_page_turns_paid(live_server, browser, output_dir, wechatpay_fake):
    shipping_method()
    kiwi = variant(price="39.90", stock=10, weight_kg="2.5", name="十八洞猕猴桃").product

    context = browser.new_context(viewport=PHONE, locale="zh-CN", user_agent=NARROW_DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    add_to_cart(page, live_server.url, kiwi, 2)
    check_out_as_guest(page, "guest@example.com")
    page.get_by_label("微信支付").check()
    page.screenshot(path=output_dir / "1-review.png", full_page=True)
    submit(page)
    page.wait_for_url("**/orders/**")

    order = Order.objects.get()
    code_url = order.payment.shopper_data["native"]["code_url"]
    (opened,) = wechatpay_fake.requests_to("/v3/pay/transactions/native")
    assert opened["out_trade_no"] == order.payment.merchant_reference
    qr = page.locator(".store-qr svg")
    assert qr.is_visible()
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert found.text == code_url
    text = page.inner_text("main")
    assert "用微信扫一扫" in text and "94.80" in text
    assert no_sideways_scroll(page)
    page.screenshot(path=output_dir / "2-qr-code.png", full_page=True)

    # The shopper scans and pays; WeChat Pay's signed notify reaches the site.
    wechatpay_fake.pay(order.payment.merchant_reference)
    response = wechatpay_fake.post(Client(), *wechatpay_fake.paid_notify(order.payment.merchant_reference))
    assert response.status_code == 204
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # No reload by the test: the page's own polling turns it to paid.
    # (expect, not wait_for_function, whose string predicate the page's CSP refuses to evaluate)
    expect(page.locator(".store-status")).to_have_text("已付款", timeout=30_000)
    assert page.locator(".store-qr").count() == 0
    page.screenshot(path=output_dir / "3-paid.png", full_page=True)
    context.close()
