"""The public pages: what a shopper sees, in Chinese by default and in English on request."""

import pytest
from django.urls import reverse

from farmers.models import VerificationState
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed():
    village = f.village(name="十八洞村", story="苗寨，种猕猴桃。")
    farmer = f.farmer(
        village_=village, name="龙大姐", phone="13787654321", id_number="433124198801019999", story="家里三亩猕猴桃。"
    )
    return f.product(seller=farmer, name="十八洞猕猴桃", description="酸甜适中")


def test_home_lists_visible_products_only(client, listed):
    hidden = f.product(name="草稿产品", published=False)
    page = client.get("/").content.decode()
    assert listed.name in page and hidden.name not in page
    assert 'lang="zh-hans"' in page and "¥39.90" in page


def test_home_filters_by_category(client, listed):
    other = f.product(name="别的东西")
    page = client.get("/", {"category": listed.category.slug}).content.decode()
    assert listed.name in page and other.name not in page


def test_product_page_shows_who_grew_it_and_where_without_personal_data(client, listed):
    response = client.get(reverse("shop:product", args=[listed.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "十八洞猕猴桃",
        "5斤装",
        "39.90",
        "龙大姐",
        "家里三亩猕猴桃。",
        "十八洞村",
        listed.village.county.name,
        listed.village.county.province.name,
    ):
        assert text in page
    assert "13787654321" not in page and "433124198801019999" not in page


def test_invisible_products_are_not_found(client):
    draft = f.product(published=False)
    pending = f.product(seller=f.farmer(state=VerificationState.PENDING), published=False)
    for product in (draft, pending):
        assert client.get(reverse("shop:product", args=[product.slug])).status_code == 404
    assert client.get(reverse("shop:product", args=["no-such-thing"])).status_code == 404


def test_seller_previews_own_draft(client):
    farmer = f.farmer()
    draft = f.product(seller=farmer, published=False)
    client.force_login(farmer.user)
    assert client.get(reverse("shop:product", args=[draft.slug])).status_code == 200


def test_village_page(client, listed):
    page = client.get(reverse("shop:village", args=[listed.village.slug])).content.decode()
    assert "苗寨，种猕猴桃。" in page and listed.name in page


def test_english_on_request(client, listed):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Fresh from the mountains" in page
    assert 'Shanhuo <span lang="zh-hans">山货</span></a>' in page


def test_chinese_by_default(client, listed):
    page = client.get("/").content.decode()
    assert "Fresh from the mountains" not in page and "大山里的好物" in page
    assert '">山货</a>' in page, "the brand appears once, in Chinese"


def test_farmer_pages_open_in_chinese_even_when_the_phone_asks_for_english(client):
    page = client.get(reverse("accounts:signup"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page
    shop = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="en"' in shop, "shop pages follow the browser"
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get(reverse("accounts:signup")).content.decode(), "a chosen language wins"


def test_error_pages_are_in_the_visitors_language(client):
    page = client.get("/p/no-such-product/")
    assert page.status_code == 404 and 'lang="zh-hans"' in page.content.decode()
    assert "这个页面不存在" in page.content.decode()
    assert client.get("/p/a%00b/").status_code == 400


def test_navigation_offers_each_person_their_own_pages(client):
    farmer, officer, shopper = f.farmer(), f.user(), f.user()
    f.ngo(villages=[farmer.village], staff=[officer])
    seller_link, ngo_link = f'href="{reverse("seller:products")}"', f'href="{reverse("ngo:pending")}"'
    expected = {farmer.user: (True, False), officer: (False, True), shopper: (False, False)}
    for user, (sells, verifies) in expected.items():
        client.force_login(user)
        page = client.get("/").content.decode()
        assert (seller_link in page, ngo_link in page) == (sells, verifies), user
