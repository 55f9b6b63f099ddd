"""A guest on a 360 px phone buys from two farmers and pays cash on delivery; an operator confirms the
money in the admin, and the guest's order link shows the order paid."""

import pytest

from payments.models import PaymentStatus
from shop.models import Order, OrderStatus
from tests import factories as f
from tests.shop.buying import shipping_method, variant

from .chromium import PHONE
from .shopping import PHONE_BROWSER, add_to_cart, check_out_as_guest, no_sideways_scroll, submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_guest_pays_cash_on_delivery_and_an_operator_confirms(live_server, browser, output_dir, settings):
    settings.OFFLINE_BANK_ACCOUNT = "中国农业银行 · 花垣县山货合作社 · 6228 4800 1234 5678"
    shipping_method()
    kiwi = variant(price="39.90", stock=10, weight_kg="2.5", name="十八洞猕猴桃").product
    honey = variant(price="58.00", stock=4, weight_kg="1.0", name="土蜂蜜").product
    operator = f.staff_user()
    operator.is_superuser = True
    operator.set_password("operator-2026")
    operator.save()

    context = browser.new_context(viewport=PHONE, locale="zh-CN", user_agent=PHONE_BROWSER)
    context.set_default_timeout(15_000)
    page = context.new_page()
    add_to_cart(page, live_server.url, kiwi, 1)
    add_to_cart(page, live_server.url, honey, 2)
    assert page.locator(".store-parcel").count() == 2
    check_out_as_guest(page, "guest@example.com")
    page.get_by_label("货到付款或银行转账").check()
    page.screenshot(path=output_dir / "1-review.png", full_page=True)
    submit(page)
    page.wait_for_url("**/orders/**")
    order = Order.objects.get()
    text = page.inner_text("main")
    assert "6228 4800 1234 5678" in text and order.number in text
    assert no_sideways_scroll(page)
    page.screenshot(path=output_dir / "2-order-placed.png", full_page=True)
    link = page.locator("#order-link").input_value()
    assert link == page.url

    # The operator confirms the transfer arrived, in the admin, with its reference.
    admin = browser.new_context(locale="zh-CN")
    desk = admin.new_page()
    desk.goto(live_server.url + "/admin/login/")
    desk.fill("#id_username", operator.username)
    desk.fill("#id_password", "operator-2026")
    desk.locator("input[type=submit]").click()
    desk.goto(live_server.url + "/admin/shop/order/")
    desk.locator(f"input[name=_selected_action][value='{order.pk}']").check()
    desk.select_option("select[name=action]", "confirm_offline_payment")
    desk.locator("button[name=index]").click()
    desk.fill(f"input[name='order-{order.pk}-reference']", "ABC-20261202-01")
    desk.screenshot(path=output_dir / "3-operator-confirms.png", full_page=True)
    desk.locator("input[type=submit].default").click()
    desk.wait_for_load_state("networkidle")
    admin.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment.status == PaymentStatus.SUCCEEDED
    assert order.payment.reference == "ABC-20261202-01"

    page.goto(link)
    assert page.locator(".store-status").inner_text() == "已付款"
    assert page.locator(".store-pay").count() == 0, "nothing left to pay"
    page.screenshot(path=output_dir / "4-paid.png", full_page=True)
    context.close()
