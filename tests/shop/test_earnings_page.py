"""The earnings page (/farmer/earnings/): the farmer reads their own figures in Chinese; a
cooperative manager reads the cooperative's and opens each member's; nobody else reads them."""

import pytest
from django.urls import reverse

from payments import shopper_payments
from tests import factories as f
from tests.shop.buying import place_order, variant
from tests.shop.test_earnings import known_case  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

URL = "/farmer/earnings/"


def zh(client, url=URL, **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_the_farmer_reads_their_own_figures_in_chinese(client, known_case):  # noqa: F811
    farmer, (order1, order2, order3), _payouts = known_case
    client.force_login(farmer.user)
    response = zh(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("seller:earnings") == URL
    for text in ("我的收入", "待打款", "下次打款", "已打款", "平台服务费", "退款", "到手", "转账流水号"):
        assert text in page, text
    # payable 142.10; due 85.60; waiting 56.50; paid 66.20; the refund and the bank reference.
    for figure in ("¥142.10", "¥85.60", "¥56.50", "¥66.20", "¥208.30", "− ¥40.00", "BANK-0001"):
        assert figure in page, figure
    for order in (order1, order2, order3):
        assert order.number in page
    assert "已到账" in page and "没成功" in page
    assert farmer.phone not in page and farmer.id_number not in page
    assert f'href="{URL}"' in page, "the account menu links to the page"


def test_pages_of_orders(client, settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    item = variant(price="10.00", weight_kg="0.5", stock=50)
    farmer = item.product.farmer
    operator = f.staff_user()
    orders = [place_order([(item, 1)]) for _ in range(21)]
    for order in orders:
        shopper_payments.confirm_offline_payment(operator, order.payment)
    client.force_login(farmer.user)

    first, second = zh(client).content.decode(), zh(client, page=2).content.decode()
    assert 'rel="next"' in first and 'rel="next"' not in second
    # Newest first: the first order placed is alone on page 2.
    assert orders[0].number in second and orders[0].number not in first
    assert '<dd class="earn-amount">21</dd>' in first  # orders in the totals


def test_another_farmer_gets_403_and_a_shopper_403_and_anonymous_logs_in(client, known_case):  # noqa: F811
    farmer, _orders, _payouts = known_case
    other = f.farmer()
    client.force_login(other.user)
    assert zh(client, seller=f"farmer-{farmer.pk}").status_code == 403
    own = zh(client).content.decode()
    assert "¥208.30" not in own and "¥0.00" in own

    client.force_login(f.user())  # a shopper
    assert zh(client).status_code == 403
    client.logout()
    response = zh(client)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_cooperative_manager_sees_the_cooperative_and_each_member(client, settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    manager = f.user()
    coop = f.cooperative(manager=manager)
    member = f.farmer(cooperative=coop, name="龙大姐")
    outsider = f.farmer(name="外村人")
    own = variant(price="30.00", weight_kg="0.5", seller=coop)
    theirs = variant(price="20.00", weight_kg="0.5", seller=member)
    order = place_order([(own, 1), (theirs, 2)])
    shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)
    client.force_login(manager)

    page = zh(client).content.decode()
    # The cooperative's own: 30.00 goods + 8.00 shipping − 0.90 fee = 37.10; the member's 40.00 goods.
    assert coop.name in page and "¥37.10" in page
    assert "龙大姐" in page and f"seller=farmer-{member.pk}" in page
    assert "¥46.80" in page  # the member's: 40.00 + 8.00 − 1.20

    member_page = zh(client, seller=f"farmer-{member.pk}")
    assert member_page.status_code == 200 and "¥46.80" in member_page.content.decode()
    assert zh(client, seller=f"farmer-{outsider.pk}").status_code == 403
    assert zh(client, seller="cooperative-999999").status_code == 403
    assert zh(client, seller="nonsense").status_code == 403


def test_a_period_with_no_sales(client, known_case):  # noqa: F811
    farmer, _orders, _payouts = known_case
    client.force_login(farmer.user)
    page = zh(client, period="last_month").content.decode()
    assert "这段时间没有卖出" in page
    assert "¥142.10" in page, "what is owed does not depend on the period"
