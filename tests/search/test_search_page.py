"""The search page (/search/): results with highlights, facet links that add and remove filters,
sorts, pages, and bad input in the URL answered with a page, never a 500. In Chinese by default."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from search import indexing
from shop.models import ImageStatus, Product, ProductImage
from tests import factories as f
from tests.config.test_page_guards import english_words
from tests.search.test_graphql_search import build_catalog, many_potatoes

pytestmark = pytest.mark.django_db

PAGE = reverse("search:page")


@pytest.fixture
def catalog():
    return build_catalog()


def get(client, status=200, **params):
    response = client.get(PAGE, params)
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def product_names(html: str) -> list[str]:
    """The names on the result cards, in order, without their highlighting."""
    return [re.sub(r"<[^>]+>", "", unescape(name)) for name in re.findall(r"<h3>(.*?)</h3>", html)]


def all_links(html: str) -> list[tuple[str, str]]:
    """(text without tags, href) of the links of the page's own search."""
    found = []
    for href, text in re.findall(r'<a href="(\?[^"]*)"[^>]*>(.*?)</a>', html, flags=re.S):
        found.append((re.sub(r"<[^>]+>|×", "", unescape(text)).strip(), unescape(href)))
    return found


def links(html: str) -> dict[str, str]:
    """Link text → href: for links named by the catalog's own data (place names), not by messages."""
    return dict(all_links(html))


def follow(client, href: str, status=200) -> str:
    response = client.get(PAGE + href)
    assert response.status_code == status
    return response.content.decode()


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_results_with_highlights_count_and_links(client, catalog):
    html = get(client, q="脐橙")

    assert product_names(html) == ["赣南脐橙"]
    assert "赣南<mark>脐橙</mark>" in html
    assert "<mark>脐橙</mark>" in html.split('class="snippet"')[1]
    assert reverse("shop:product", args=[catalog["orange"].slug]) in html
    assert re.search(r'class="search-total"[^>]*>[^<]*(?<!\d)1(?!\d)', html)
    assert 'value="脐橙"' in html  # the box keeps what was typed


def test_highlights_escape_everything_else(client):
    product = f.product(name="土豆<i>特价</i>", description="<script>alert(1)</script>土豆")
    indexing.index_products([product.pk])

    html = get(client, q="土豆")

    assert "<mark>土豆</mark>&lt;i&gt;特价&lt;/i&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<script>alert" not in get(client, q="<script>alert(1)</script>土豆")


def test_in_chinese_by_default(client, catalog):
    html = get(client, q="土豆")

    assert '<html lang="zh-hans">' in html
    assert english_words(html) == set()


def test_empty_query_browses_everything(client, catalog):
    html = get(client)

    assert sorted(product_names(html)) == sorted(p.name for p in catalog.products.values())


def test_facet_links_add_and_remove_filters(client, catalog):
    html = get(client, q="", sort="price_asc")
    province_link = links(html)["云南"]

    assert params(province_link) == {"province": [str(catalog.places["yunnan"].pk)], "sort": ["price_asc"]}
    narrowed = follow(client, province_link)
    assert product_names(narrowed) == ["云南高原土豆", "冰糖心苹果", "土蜂蜜"]  # the sort is kept
    # The chosen province is marked and its link now removes it; the other province stays offered.
    assert re.search(r'<a href="[^"]*" aria-current="true">云南</a>', narrowed)
    assert "province" not in params(links(narrowed)["云南"])
    assert "江西" in links(narrowed)
    # Narrow further by a price range, then remove the province from the chosen filters.
    (price_link,) = [href for _, href in all_links(narrowed) if params(href).get("price") == ["50-100"]]
    priced = follow(client, price_link)
    assert product_names(priced) == ["冰糖心苹果"]
    assert params(links(priced)["云南"]) == {"price": ["50-100"], "sort": ["price_asc"]}
    assert sorted(product_names(follow(client, links(priced)["云南"]))) == ["冰糖心苹果"]
    (clear,) = re.findall(r'<a href="([^"]*)" class="clear-filters">', priced)
    assert params(unescape(clear)) == {"sort": ["price_asc"]}
    assert len(product_names(follow(client, unescape(clear)))) == 6


def test_category_facet_and_in_stock_filter(client, catalog):
    citrus = get(client, category=catalog.categories["citrus"].pk)
    top = get(client, category=catalog.categories["fruit"].pk)
    in_stock = get(client, category=catalog.categories["citrus"].pk, in_stock="1")

    assert sorted(product_names(citrus)) == ["沙田柚", "赣南脐橙"]
    assert sorted(product_names(top)) == ["冰糖心苹果", "沙田柚", "赣南脐橙"]
    assert product_names(in_stock) == ["赣南脐橙"]


def test_sort_links(client, catalog):
    html = get(client)
    sort_links = re.findall(r'<nav class="sorts"[^>]*>(.*?)</nav>', html, flags=re.S)[0]
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]*)"', sort_links)]

    assert len(hrefs) == 4
    orders = [product_names(follow(client, href)) for href in hrefs]
    assert orders[1] == ["红心红薯", "云南高原土豆", "赣南脐橙", "冰糖心苹果", "土蜂蜜", "沙田柚"]
    assert orders[2] == ["土蜂蜜", "冰糖心苹果", "赣南脐橙", "云南高原土豆", "红心红薯", "沙田柚"]
    assert orders[3][-1] == "沙田柚"  # sold out last, whatever the order


def test_pages(client):
    potatoes = many_potatoes(30)

    first = get(client, q="土豆")
    second_link = re.search(r'<a href="([^"]*)" rel="next">', first).group(1)
    second = follow(client, unescape(second_link))

    assert len(product_names(first)) == 24 and len(product_names(second)) == 6
    assert set(product_names(first)) | set(product_names(second)) == {p.name for p in potatoes}
    assert params(unescape(second_link)) == {"q": ["土豆"], "page": ["2"]}
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # Past the end: the last page; not a number: the first.
    assert product_names(get(client, q="土豆", page="99")) == product_names(second)
    assert product_names(get(client, q="土豆", page="x")) == product_names(first)


def test_cards_show_photo_price_origin_and_stock_in_a_fixed_number_of_queries(client):
    potatoes = many_potatoes(30)
    first, second = potatoes[-1], potatoes[-2]  # newest first
    ProductImage.objects.create(product=first, status=ImageStatus.READY, small="p/first-small.jpg", alt="一筐土豆")
    ProductImage.objects.create(product=first, status=ImageStatus.PENDING, small="p/pending.jpg")
    ProductImage.objects.create(product=second, status=ImageStatus.READY, small="p/second-small.jpg")
    second.variants.update(stock=0)
    Product.objects.filter(pk=second.pk).update(in_stock=False)  # as selling the last one leaves it
    indexing.index_products([second.pk])  # sold out: now listed after the goods in stock
    get(client, q="土豆", page="2")  # the facets' names are read once a process (search.facet_names)

    with CaptureQueriesContext(connection) as full_page:
        html = get(client, q="土豆")
    with CaptureQueriesContext(connection) as last_page:
        last = get(client, q="土豆", page="2")

    cards = html.split('<li class="card">')[1:]
    assert len(cards) == 24 and len(last.split('<li class="card">')) == 7
    village = first.village
    assert '<img src="/media/p/first-small.jpg" alt="一筐土豆"' in cards[0]
    assert "pending.jpg" not in html
    assert "¥12.00" in cards[0]
    assert f"{village.county.province.name} · {village.county.name} · " in cards[0]
    assert reverse("shop:village", args=[village.slug]) in cards[0]
    sold_out = last.split('<li class="card">')[-1]
    assert '<img src="/media/p/second-small.jpg" alt="土豆28号"' in sold_out  # no alt text: the name
    assert 'class="sold-out"' in sold_out and 'class="sold-out"' not in html
    # Every card from the same few queries: none a product.
    assert len(full_page) == len(last_page), [q["sql"] for q in full_page]


def test_no_results(client, catalog):
    html = get(client, q="榴莲")

    assert product_names(html) == []
    assert 'class="no-results"' in html


def test_too_long_query_is_explained(client, catalog):
    html = get(client, status=400, q="土" * 101)

    assert 'role="alert"' in html and "100" in html
    assert product_names(html) == []


@pytest.mark.parametrize(
    "query",
    [
        {"q": '"'},
        {"q": "*"},
        {"q": ":"},
        {"q": "("},
        {"q": "name:土豆 AND (苹果"},
        {"q": "'; DROP TABLE shop_product; --"},
        {"q": "1' OR '1'='1"},
        {"q": "😀🥔"},
        {"q": "。。。"},
        {"category": "abc"},
        {"category": "-1"},
        {"category": "9" * 40},
        {"category": "999999"},
        {"province": "1.5"},
        {"county": "０１"},
        {"village": ""},
        {"price": "10-20"},
        {"price": "'"},
        {"in_stock": "yes"},
        {"sort": "price"},
        {"sort": "'; DROP"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "9" * 40},
        {"page": "1e9"},
    ],
)
def test_bad_input_is_never_a_500(client, catalog, query):
    html = get(client, **query)

    assert "<h1>" in html


def test_invalid_filters_are_ignored(client, catalog):
    assert len(product_names(get(client, category="abc", price="bogus", sort="nope"))) == 6


def test_search_unavailable_is_a_page_not_a_500(client, catalog, engine_down_without_fallback):
    """Only with no database to fall back to (see test_fallback for the setting with one)."""
    html = get(client, status=503, q="土豆")

    assert 'role="alert"' in html


def test_the_search_box_is_on_shop_pages_only(client, catalog):
    product = catalog["orange"]
    for path in (
        "/",
        reverse("shop:product", args=[product.slug]),
        reverse("shop:village", args=[product.village.slug]),
    ):
        html = client.get(path).content.decode()
        assert f'action="{PAGE}"' in html and 'name="q"' in html, path
        assert "<script" not in html, path  # suggestions are offered on the search page only
    # Farmers' forms and the sign-in pages keep their header to themselves.
    assert f'action="{PAGE}"' not in client.get(reverse("accounts:login")).content.decode()


def test_suggestions_for_the_search_box(client, catalog):
    response = client.get(reverse("search:suggest"), {"q": "冰糖"})

    assert response.status_code == 200
    assert response.json() == {"suggestions": [{"text": "冰糖心苹果"}]}
    assert client.get(reverse("search:suggest"), {"q": ""}).json() == {"suggestions": []}
    assert client.get(reverse("search:suggest"), {"q": "'\"*:("}).status_code == 200
    too_long = client.get(reverse("search:suggest"), {"q": "土" * 101})
    assert too_long.status_code == 400 and too_long.json()["suggestions"] == []
