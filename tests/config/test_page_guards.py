"""Guards over every page at once: no farmer or NGO page opens without logging in, and pages shown
in Chinese carry no English left untranslated."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, get_resolver, reverse

from search import indexing
from tests import factories as f

pytestmark = pytest.mark.django_db
PROTECTED_NAMESPACES = ("seller", "ngo")


def protected_paths():
    """Every route of the farmer and NGO pages, enumerated from the URL configuration."""
    resolver = get_resolver()
    paths = []
    for namespace in PROTECTED_NAMESPACES:
        _, sub_resolver = resolver.namespace_dict[namespace]
        for pattern in sub_resolver.url_patterns:
            assert isinstance(pattern, URLPattern)
            kwargs = dict.fromkeys(pattern.pattern.regex.groupindex, 1)
            paths.append(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
    return paths


def test_every_farmer_and_ngo_page_sends_anonymous_visitors_to_log_in(client):
    paths = protected_paths()
    assert len(paths) >= 8
    login = reverse("accounts:login")
    for path in paths:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302 and response["Location"].startswith(login), (method, path)


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip = 0
        self.chunks = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "option"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "placeholder", "title", "alt") and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "option"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.chunks.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return set(re.findall(r"[A-Za-z]{3,}", " ".join(parser.chunks)))


def test_pages_in_chinese_have_no_english_left(client):
    village = f.village(name="十八洞村")
    officer = f.user()
    f.ngo(villages=[village], staff=[officer])
    farmer = f.farmer(village_=village, name="龙大姐", phone="13912345678")
    product = f.product(
        seller=farmer, name="猕猴桃", category_=f.category(name="猕猴桃", parent=f.category(name="水果"))
    )
    from tests.shop.buying import place_order

    place_order([(product.variants.first(), 1)])  # so the parcels page lists a parcel with its address
    indexing.index_products([product.pk])  # so the search page shows a result with its facets
    story = f.story(village_=village, farmer=farmer, title="猕猴桃熟了", body="第一段\n\n第二段")
    story.products.set([product])
    f.campaign(f.sponsor(name="山路公益基金会"), farmer_=farmer)
    from promotion.feed import FeedPosition

    # A feed page that starts at a promoted slot past the one organic product (its ranked list long
    # expired, so ranked again): its promoted card shows.
    promoted_page = reverse("promotion:feed") + "?after=" + FeedPosition(4, 0, 1, "0" * 16).cursor()
    pages = {
        None: [
            "/",
            reverse("shop:product", args=[product.slug]),
            reverse("shop:village", args=[village.slug]),
            reverse("search:page") + "?q=猕猴桃",
            reverse("search:page") + f"?q=%22&category={product.category_id}&price=bogus&page=9",
            reverse("accounts:login"),
            reverse("accounts:signup"),
            reverse("promotion:feed"),
            promoted_page,
            reverse("promotion:story", args=[story.slug]),
        ],
        farmer.user: [
            reverse("seller:products"),
            reverse("seller:product_new"),
            reverse("seller:product_edit", args=[product.pk]),
            reverse("seller:orders"),
        ],
        officer: [reverse("ngo:pending"), reverse("ngo:farmer", args=[farmer.pk])],
    }
    for user, paths in pages.items():
        client.logout()
        if user:
            client.force_login(user)
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200, path
            if path == promoted_page:
                assert 'class="card-badge"' in response.content.decode(), "the promoted card is checked too"
            assert english_words(response.content.decode()) == set(), path


def test_the_english_detector_sees_english(client):
    """The control for the test above: the same page asked for in English is full of it."""
    client.cookies["django_language"] = "en"
    words = english_words(client.get(reverse("accounts:signup")).content.decode())
    assert {"Phone", "password"} <= words or len(words) > 10, words
