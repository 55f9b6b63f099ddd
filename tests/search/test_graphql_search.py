"""Search over GraphQL: `search` with highlights, facets, filters, sorts and cursors,
`searchSuggest`, and `products(search:)`; every bad input of issue 5 answers with results or a
coded error, never a 500. Runs on the backend of the test database (SQLite, or PostgreSQL under
DATABASE_URL). The catalog builders here are shared with the search page's tests."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import offset_to_cursor, to_global_id

from farmers.models import County, Province, VerificationState
from search import indexing
from search.query import MAX_WINDOW
from shop.models import ImageStatus, Product, ProductImage
from tests import factories as f

pytestmark = pytest.mark.django_db


# --- The catalog ------------------------------------------------------------------------------


@dataclass
class Catalog:
    products: dict[str, Product]
    categories: dict
    places: dict

    def __getitem__(self, name) -> Product:
        return self.products[name]


def variant(price: str, stock: int = 10) -> list[dict]:
    return [{"name": "5斤装", "price": Decimal(price), "stock": stock, "weight_kg": Decimal("2.5")}]


def build_catalog() -> Catalog:
    """Two provinces; goods in subcategories of two top categories and in a top category without
    any, in every price range; one sold out, one draft. Then the index is built."""
    jiangxi = Province.objects.create(name="江西", name_en="Jiangxi", slug="jiangxi")
    yunnan = Province.objects.create(name="云南", name_en="Yunnan", slug="yunnan")
    ganxian = County.objects.create(province=jiangxi, name="赣县", name_en="Ganxian", slug="ganxian")
    huize = County.objects.create(province=yunnan, name="会泽县", name_en="Huize", slug="huize")
    orchard = f.village(name="梅林村", county=ganxian)
    highland = f.village(name="高原村", county=huize)
    fruit = f.category(name="水果")
    citrus = f.category(name="柑橘", parent=fruit)
    apples = f.category(name="苹果", parent=fruit)
    vegetables = f.category(name="蔬菜")
    tubers = f.category(name="薯类", parent=vegetables)
    bee = f.category(name="蜂产品")  # a top category without subcategories holds goods itself
    grower_jx = f.farmer(village_=orchard)
    grower_yn = f.farmer(village_=highland)

    def add(name, seller, category, price, stock=10, description=""):
        return f.product(
            seller=seller, category_=category, name=name, variants=variant(price, stock), description=description
        )

    products = {
        "orange": add("赣南脐橙", grower_jx, citrus, "39.90", description="果园现摘的脐橙，香甜多汁。"),
        "pomelo": add("沙田柚", grower_jx, citrus, "120.00", stock=0, description="个大皮薄，可惜卖完了。"),
        "apple": add("冰糖心苹果", grower_yn, apples, "68.00", description="高原日照足，冰糖心。"),
        "potato": add("云南高原土豆", grower_yn, tubers, "15.00", description="农家种的马铃薯，沙糯可口。"),
        "sweet": add("红心红薯", grower_jx, tubers, "9.90", description="地瓜香甜，适合烤着吃。"),
        "honey": add("土蜂蜜", grower_yn, bee, "250.00", description="山里的百花蜜。"),
    }
    f.product(seller=grower_jx, category_=citrus, name="脐橙草稿", published=False, variants=variant("30.00"))
    indexing.rebuild()
    return Catalog(
        products=products,
        categories={
            "fruit": fruit,
            "citrus": citrus,
            "apples": apples,
            "vegetables": vegetables,
            "tubers": tubers,
            "bee": bee,
        },
        places={"jiangxi": jiangxi, "yunnan": yunnan, "ganxian": ganxian, "huize": huize, "highland": highland},
    )


def many_potatoes(count: int, price: str = "12.00") -> list[Product]:
    """`count` goods that all match 土豆, indexed."""
    grower = f.farmer(village_=f.village())
    category = f.category(name="洋芋")
    products = [
        f.product(seller=grower, category_=category, name=f"土豆{i}号", variants=variant(price)) for i in range(count)
    ]
    indexing.index_products([p.pk for p in products])
    return products


@pytest.fixture
def catalog():
    return build_catalog()


def gid(obj) -> str:
    return to_global_id(type(obj).__name__, obj.pk)


# --- Queries ----------------------------------------------------------------------------------

SEARCH = """
query($query: String, $filter: SearchFilterInput, $sortBy: SearchSort, $first: Int, $after: String) {
  search(query: $query, filter: $filter, sortBy: $sortBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor highlights { name description } node { id name minPrice inStock } }
    facets {
      category { value label count selected }
      province { value label count selected }
      county { value label count selected }
      village { value label count selected }
      price { value label count selected }
    }
  }
}"""

SEARCH_NAMES = """
query($query: String, $filter: SearchFilterInput, $sortBy: SearchSort, $first: Int, $after: String) {
  search(query: $query, filter: $filter, sortBy: $sortBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { name } }
  }
}"""


def search(gql, document=SEARCH, **variables):
    result = gql(document, variables)
    assert "errors" not in result, result["errors"]
    return result["data"]["search"]


def names(found) -> list[str]:
    return [edge["node"]["name"] for edge in found["edges"]]


def error(result) -> dict:
    (only,) = result["errors"]
    return {"field": only["extensions"].get("field"), "code": only["extensions"]["code"], "message": only["message"]}


def facet(found, name) -> dict[str, dict]:
    return {option["label"]: option for option in found["facets"][name]}


# --- search -----------------------------------------------------------------------------------


def test_search_finds_with_highlights_and_facets(gql, catalog):
    found = search(gql, query="脐橙")

    assert names(found) == ["赣南脐橙"]
    assert found["totalCount"] == 1
    (edge,) = found["edges"]
    assert edge["node"]["id"] == gid(catalog["orange"])
    assert edge["highlights"]["name"] == "赣南<mark>脐橙</mark>"
    assert "<mark>脐橙</mark>" in edge["highlights"]["description"]
    assert facet(found, "category")["柑橘"] == {
        "value": gid(catalog.categories["citrus"]),
        "label": "柑橘",
        "count": 1,
        "selected": False,
    }
    assert facet(found, "province")["江西"]["value"] == to_global_id("Province", catalog.places["jiangxi"].pk)
    assert set(facet(found, "county")) == {"赣县"}
    assert set(facet(found, "village")) == {"梅林村"}
    assert [(o["value"], o["count"]) for o in found["facets"]["price"]] == [("20-50", 1)]


def test_pinyin_and_synonyms_find_chinese_names(gql, catalog):
    assert names(search(gql, query="tudou")) == ["云南高原土豆"]
    assert names(search(gql, query="马铃薯")) == ["云南高原土豆"]
    assert names(search(gql, query="地瓜")) == ["红心红薯"]


def test_highlights_are_escaped_html(gql):
    product = f.product(name="土豆<b>特价</b>", description='<script>alert("x")</script> 土豆')
    indexing.index_products([product.pk])

    (edge,) = search(gql, query="土豆")["edges"]

    assert edge["highlights"]["name"] == "<mark>土豆</mark>&lt;b&gt;特价&lt;/b&gt;"
    assert "<script>" not in edge["highlights"]["description"]
    assert "&lt;script&gt;" in edge["highlights"]["description"]


def test_empty_query_browses_every_visible_product_with_facets(gql, catalog):
    for query in (None, "", "   "):
        found = search(gql, query=query, first=50)
        assert found["totalCount"] == 6, query
        assert sorted(names(found)) == sorted(p.name for p in catalog.products.values())
        assert sum(o["count"] for o in found["facets"]["province"]) == 6
        assert sum(o["count"] for o in found["facets"]["price"]) == 6
        # In stock first, then newest first (nothing typed, so nothing is more relevant).
        assert names(found)[-1] == "沙田柚"
        assert names(found)[:2] == ["土蜂蜜", "红心红薯"]


def suspended_after_indexing(village) -> Product:
    """Goods whose seller was suspended after they were indexed, the index not yet told (the
    reindexing task still queued): results must hide them anyway."""
    seller = f.farmer(village_=village)
    product = f.product(seller=seller, name="停售脐橙", variants=variant("35.00"))
    indexing.index_products([product.pk])
    type(seller).objects.filter(pk=seller.pk).update(verification_state=VerificationState.SUSPENDED)
    return product


def test_hidden_goods_are_never_found(gql, catalog):
    suspended_after_indexing(catalog["orange"].village)
    everything = search(gql, query="", first=100)
    oranges = search(gql, query="脐橙")

    assert "脐橙草稿" not in names(everything) and "停售脐橙" not in names(everything)
    assert names(oranges) == ["赣南脐橙"]


def test_filtering_by_each_facet_value_gives_its_count(gql, catalog):
    """Facet values go back into the filter as they are, and each count is what filtering by it finds."""
    found = search(gql, query="")
    checked = 0
    for name, filter_field in [
        ("category", "category"),
        ("province", "province"),
        ("county", "county"),
        ("village", "village"),
        ("price", "priceRange"),
    ]:
        for option in found["facets"][name]:
            narrowed = search(gql, query="", filter={filter_field: option["value"]}, first=100)
            assert narrowed["totalCount"] == option["count"] == len(narrowed["edges"]), (name, option)
            chosen = [o for o in narrowed["facets"][name] if o["selected"]]
            assert [o["value"] for o in chosen] == [option["value"]], (name, option)
            checked += 1
    assert checked >= 15


def test_facet_counts_follow_the_other_filters_but_not_their_own(gql, catalog):
    yunnan = to_global_id("Province", catalog.places["yunnan"].pk)

    found = search(gql, query="", filter={"province": yunnan})

    assert sorted(names(found)) == ["云南高原土豆", "冰糖心苹果", "土蜂蜜"]
    # The province facet ignores the province filter: the shopper still sees what 江西 has.
    assert {o["label"]: (o["count"], o["selected"]) for o in found["facets"]["province"]} == {
        "江西": (3, False),
        "云南": (3, True),
    }
    # Every other facet counts only 云南's goods.
    assert {o["label"]: o["count"] for o in found["facets"]["category"]} == {"苹果": 1, "薯类": 1, "蜂产品": 1}
    assert set(facet(found, "county")) == {"会泽县"}
    assert [(o["value"], o["count"]) for o in found["facets"]["price"]] == [("0-20", 1), ("50-100", 1), ("200-", 1)]


def test_filters_combine(gql, catalog):
    fruit = gid(catalog.categories["fruit"])

    in_stock_fruit = search(gql, query="", filter={"category": fruit, "inStock": True}, first=50)
    cheap_tubers = search(
        gql, query="", filter={"category": gid(catalog.categories["tubers"]), "priceRange": "0-20"}, first=50
    )
    sold_out = search(gql, query="", filter={"inStock": False}, first=50)

    assert sorted(names(in_stock_fruit)) == ["冰糖心苹果", "赣南脐橙"]  # a top category: its subcategories' goods
    assert sorted(names(cheap_tubers)) == ["云南高原土豆", "红心红薯"]
    assert names(sold_out) == ["沙田柚"]


def test_sorts_keep_sold_out_goods_last(gql, catalog):
    def order(sort):
        return names(search(gql, query="", sortBy=sort, first=50))

    assert order("PRICE_ASC") == ["红心红薯", "云南高原土豆", "赣南脐橙", "冰糖心苹果", "土蜂蜜", "沙田柚"]
    assert order("PRICE_DESC") == ["土蜂蜜", "冰糖心苹果", "赣南脐橙", "云南高原土豆", "红心红薯", "沙田柚"]
    assert order("NEWEST") == ["土蜂蜜", "红心红薯", "云南高原土豆", "冰糖心苹果", "赣南脐橙", "沙田柚"]


def test_cursors_page_through_every_result_once(gql):
    potatoes = many_potatoes(7)
    seen, after, pages = [], None, 0
    while True:
        found = search(gql, SEARCH_NAMES, query="土豆", first=3, after=after)
        assert found["totalCount"] == 7
        seen += names(found)
        pages += 1
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
        assert found["edges"][-1]["cursor"] == after
    assert pages == 3
    assert sorted(seen) == sorted(p.name for p in potatoes)
    # Newest first among equally relevant goods.
    assert seen == [p.name for p in reversed(potatoes)]


def test_page_info(gql):
    many_potatoes(4)

    first = gql(SEARCH, {"query": "土豆", "first": 2})["data"]["search"]
    last = gql(SEARCH, {"query": "土豆", "first": 2, "after": first["pageInfo"]["endCursor"]})["data"]["search"]
    none = gql(SEARCH, {"query": "土豆", "first": 2, "after": last["pageInfo"]["endCursor"]})["data"]["search"]

    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": offset_to_cursor(0),
        "endCursor": offset_to_cursor(1),
    }
    assert last["pageInfo"]["hasNextPage"] is False and last["pageInfo"]["hasPreviousPage"] is True
    assert [e["cursor"] for e in last["edges"]] == [offset_to_cursor(2), offset_to_cursor(3)]
    assert none["edges"] == [] and none["pageInfo"]["hasNextPage"] is False
    assert none["pageInfo"]["endCursor"] is None


def test_null_arguments_take_their_defaults(gql, catalog):
    found = search(gql, query=None, filter=None, sortBy=None, first=None, after=None)

    assert found["totalCount"] == 6 and len(found["edges"]) == 6
    assert names(found)[:2] == ["土蜂蜜", "红心红薯"]


def test_first_zero_counts_without_listing(gql, catalog):
    found = search(gql, query="", first=0)

    assert found["edges"] == [] and found["totalCount"] == 6
    assert found["pageInfo"]["hasNextPage"] is True


def test_first_defaults_to_twenty(gql):
    many_potatoes(21)

    found = search(gql, SEARCH_NAMES, query="土豆")

    assert len(found["edges"]) == 20 and found["pageInfo"]["hasNextPage"] is True


def test_query_count_does_not_grow_with_the_page(gql):
    many_potatoes(55)
    search(gql, query="土豆", first=1)  # the facets' names are read once a process (search.facet_names)
    counts = {}
    for first in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            found = search(gql, query="土豆", first=first)
        assert len(found["edges"]) == first
        counts[first] = len(queries)
    assert counts[5] == counts[50], counts


SEARCH_RELATIONS = """
query($first: Int) {
  search(query: "土豆", first: $first) {
    edges { node { name ...Seller category { name parent { name } } variants { name price } images { alt } } }
  }
}
fragment Seller on Product {
  farmer { name village { name } }
  cooperative { name }
  ... on Product { village { name county { name province { name } } } }
}"""


def test_every_relation_asked_for_is_shown_in_a_fixed_number_of_queries(gql):
    potatoes = many_potatoes(55)
    newest = potatoes[-1]
    ProductImage.objects.create(product=newest, status=ImageStatus.READY, small="p/s.jpg", alt="一筐土豆")
    ProductImage.objects.create(product=newest, status=ImageStatus.FAILED, alt="坏的")
    counts = {}
    for first in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            found = search(gql, SEARCH_RELATIONS, first=first)
        assert len(found["edges"]) == first
        counts[first] = len(queries)
    assert counts[5] == counts[50], counts

    village = newest.village
    assert found["edges"][0]["node"] == {
        "name": newest.name,
        "farmer": {"name": newest.farmer.name, "village": {"name": village.name}},
        "cooperative": None,
        "village": {
            "name": village.name,
            "county": {"name": village.county.name, "province": {"name": village.county.province.name}},
        },
        "category": {"name": "洋芋", "parent": None},
        "variants": [{"name": "5斤装", "price": "12.00"}],
        "images": [{"alt": "一筐土豆"}],
    }
    # Names alone load no relation: fewer queries than the same page with every relation.
    with CaptureQueriesContext(connection) as names_only:
        search(gql, SEARCH_NAMES, query="土豆", first=50)
    assert len(names_only) < counts[50]


def test_facets_asked_for_in_a_fragment_are_counted(gql, catalog):
    result = gql(
        """
        query { search(query: "脐橙") { ...Results } }
        fragment Results on ProductSearchResults { totalCount ... on ProductSearchResults { ...Facets } }
        fragment Facets on ProductSearchResults { facets { province { label count } } }
        """
    )

    assert result["data"]["search"]["facets"]["province"] == [{"label": "江西", "count": 1}]


def test_facets_are_not_counted_when_not_asked_for(gql, catalog):
    with CaptureQueriesContext(connection) as with_facets:
        search(gql, query="", first=5)
    with CaptureQueriesContext(connection) as without:
        search(gql, SEARCH_NAMES, query="", first=5)
    # Labelling facets reads categories, provinces, counties and villages.
    assert len(without) < len(with_facets)


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "*",
        ":",
        "(",
        ")",
        '"土豆',
        "土豆*",
        "name:土豆",
        "(土豆 OR 苹果",
        "土豆 AND NOT",
        "title:(a OR b)^3~2",
        "[1 TO 5]",
        "\\",
        "/",
        "'; DROP TABLE shop_product; --",
        "1' OR '1'='1",
        "土豆' OR 1=1 --",
        "%",
        "_",
        "NEAR(土豆 苹果)",
        "土豆 -苹果",
        "{}",
        "土豆\x00",
        "\u200b土豆\u200b",
    ],
)
def test_query_syntax_and_sql_are_just_text(gql, catalog, text):
    found = search(gql, query=text, first=50)

    assert found["totalCount"] == len(found["edges"])
    assert set(names(found)) <= {p.name for p in catalog.products.values()}
    assert Product.objects.count() == 7


@pytest.mark.parametrize("text", ["!!!", "。，、？！", "😀", "🥔🥔🥔", "   ...   ", "——"])
def test_punctuation_or_emoji_only_finds_nothing(gql, catalog, text):
    found = search(gql, query=text)

    assert found["totalCount"] == 0 and found["edges"] == []
    assert found["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("text", ["土" * 101, "a" * 1000, "土豆 " * 300])
def test_a_too_long_query_is_a_clear_error(gql, catalog, text):
    result = gql(SEARCH, {"query": text})

    assert result["data"]["search"] is None
    assert error(result)["code"] == "TOO_LONG" and error(result)["field"] == "query"
    assert "100" in error(result)["message"]


def test_a_query_of_exactly_the_limit_is_searched(gql, catalog):
    found = search(gql, query="土豆" * 50)
    assert found["totalCount"] == len(found["edges"])


@pytest.mark.parametrize(
    "variables, field, code",
    [
        ({"filter": {"priceRange": "10-20"}}, "filter.priceRange", "INVALID"),
        ({"filter": {"priceRange": ""}}, "filter.priceRange", "INVALID"),
        ({"filter": {"category": "nonsense"}}, "filter.category", "INVALID_ID"),
        ({"filter": {"province": to_global_id("County", 1)}}, "filter.province", "INVALID_ID"),
        ({"filter": {"village": to_global_id("Village", "x")}}, "filter.village", "INVALID_ID"),
        ({"filter": {"county": to_global_id("County", 2**70)}}, "filter.county", "INVALID_ID"),
        ({"first": 101}, "first", "PAGE_TOO_LARGE"),
        ({"first": -1}, "first", "INVALID"),
        ({"after": "not a cursor"}, "after", "INVALID"),
        ({"after": offset_to_cursor(-5)}, "after", "INVALID"),
        ({"after": offset_to_cursor(MAX_WINDOW - 1)}, "after", "BEYOND_WINDOW"),
        ({"after": offset_to_cursor(10**30)}, "after", "BEYOND_WINDOW"),
    ],
)
def test_bad_arguments_are_coded_errors(gql, catalog, variables, field, code):
    result = gql(SEARCH, {"query": "土豆", **variables})

    assert result["data"]["search"] is None
    assert error(result)["field"] == field and error(result)["code"] == code, result


def test_unknown_ids_in_the_filter_find_nothing(gql, catalog):
    found = search(gql, query="", filter={"category": to_global_id("Category", 999_999)})

    assert found["totalCount"] == 0


def test_the_last_page_of_the_window_is_cut_at_the_window(gql, catalog):
    found = search(gql, SEARCH_NAMES, query="", first=100, after=offset_to_cursor(MAX_WINDOW - 3))

    assert found["edges"] == [] and found["totalCount"] == 6


def test_an_unknown_sort_is_refused_by_the_schema(gql, catalog):
    result = gql(SEARCH, {"query": "土豆", "sortBy": "CHEAPEST"})

    assert result["errors"] and not result.get("data")


def test_search_unavailable_is_a_coded_error(gql, catalog, engine_down_without_fallback):
    """Only with no database to fall back to (see test_fallback for the setting with one)."""
    result = gql(SEARCH, {"query": "土豆"})
    suggested = gql(SUGGEST, {"prefix": "土"})
    listed = gql(PRODUCTS, {"search": "土豆"})

    assert error(result) == {
        "field": None,
        "code": "SEARCH_UNAVAILABLE",
        "message": "Search is not available right now; try again in a moment.",
    }
    assert suggested["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"
    assert listed["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"


# --- searchSuggest ----------------------------------------------------------------------------

SUGGEST = """
query($prefix: String!, $first: Int) {
  searchSuggest(prefix: $prefix, first: $first) { text product { id slug url } }
}"""


def test_suggestions_complete_what_is_typed_and_lead_to_the_product(gql, catalog):
    result = gql(SUGGEST, {"prefix": "冰糖"})

    assert "errors" not in result, result
    (suggestion,) = result["data"]["searchSuggest"]
    assert suggestion["text"] == "冰糖心苹果"
    assert suggestion["product"]["id"] == gid(catalog["apple"])
    assert suggestion["product"]["slug"] == catalog["apple"].slug


def test_suggestions_from_pinyin_and_limited(gql):
    many_potatoes(5)

    result = gql(SUGGEST, {"prefix": "tud", "first": 3})

    assert "errors" not in result, result
    suggestions = result["data"]["searchSuggest"]
    assert len(suggestions) == 3
    assert all(s["text"].startswith("土豆") for s in suggestions)


def test_suggestions_never_offer_hidden_goods(gql, catalog):
    result = gql(SUGGEST, {"prefix": "停售"})

    assert result["data"]["searchSuggest"] == []


@pytest.mark.parametrize("prefix", ["", " ", "!!!", "😀", '"', "*", "'; DROP TABLE shop_product; --"])
def test_suggestions_for_nothing_searchable(gql, catalog, prefix):
    result = gql(SUGGEST, {"prefix": prefix})

    assert "errors" not in result, result
    assert isinstance(result["data"]["searchSuggest"], list)


@pytest.mark.parametrize(
    "variables, field, code",
    [
        ({"prefix": "土" * 101}, "prefix", "TOO_LONG"),
        ({"prefix": "土", "first": 0}, "first", "INVALID"),
        ({"prefix": "土", "first": 21}, "first", "INVALID"),
    ],
)
def test_bad_suggestion_arguments(gql, catalog, variables, field, code):
    result = gql(SUGGEST, variables)

    (only,) = result["errors"]
    assert only["extensions"]["field"] == field and only["extensions"]["code"] == code


# --- products(search:) ------------------------------------------------------------------------

PRODUCTS = """
query($search: String, $filter: ProductFilterInput, $sortBy: ProductSortingInput, $first: Int, $after: String) {
  products(search: $search, filter: $filter, sortBy: $sortBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { name minPrice } }
  }
}"""


def product_names(result) -> list[str]:
    assert "errors" not in result, result
    return [edge["node"]["name"] for edge in result["data"]["products"]["edges"]]


def test_products_search_keeps_the_search_order_without_a_sort(gql, catalog):
    # 高原 is in one name, one description and the village of three goods: several matches, ranked.
    searched = names(search(gql, SEARCH_NAMES, query="高原", first=50))
    listed = product_names(gql(PRODUCTS, {"search": "高原", "first": 50}))

    assert len(searched) == 3
    assert listed == searched


def test_products_search_with_a_sort_and_a_filter(gql, catalog):
    many_potatoes(3, price="25.00")
    by_price = {"field": "PRICE", "direction": "ASC"}

    cheapest_first = product_names(gql(PRODUCTS, {"search": "土豆", "sortBy": by_price, "first": 50}))
    in_tubers = product_names(
        gql(PRODUCTS, {"search": "土豆", "filter": {"category": gid(catalog.categories["tubers"])}, "first": 50})
    )

    assert cheapest_first[0] == "云南高原土豆" and len(cheapest_first) == 4
    assert in_tubers == ["云南高原土豆"]


def test_products_search_pages_in_search_order(gql):
    potatoes = many_potatoes(5)

    first = gql(PRODUCTS, {"search": "土豆", "first": 3})
    rest = gql(PRODUCTS, {"search": "土豆", "first": 3, "after": first["data"]["products"]["pageInfo"]["endCursor"]})

    assert product_names(first) + product_names(rest) == [p.name for p in reversed(potatoes)]
    assert first["data"]["products"]["totalCount"] == 5


def test_products_search_query_count_does_not_grow_with_the_page(gql):
    many_potatoes(55)
    search(gql, query="土豆", first=1)  # the facets' names are read once a process (search.facet_names)
    counts = {}
    for first in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            found = product_names(gql(PRODUCTS, {"search": "土豆", "first": first}))
        assert len(found) == first
        counts[first] = len(queries)
    assert counts[5] == counts[50], counts


def test_products_search_finds_nothing_and_never_fails(gql, catalog):
    assert product_names(gql(PRODUCTS, {"search": "😀", "first": 10})) == []
    assert product_names(gql(PRODUCTS, {"search": "'; DROP TABLE shop_product; --", "first": 10})) == []
    assert len(product_names(gql(PRODUCTS, {"search": "", "first": 50}))) == 6  # blank: no search at all


def test_products_search_too_long(gql, catalog):
    result = gql(PRODUCTS, {"search": "土" * 101})

    (only,) = result["errors"]
    assert only["extensions"]["code"] == "TOO_LONG" and only["extensions"]["field"] == "search"


def test_products_search_hides_goods_hidden_since_indexing(gql, catalog):
    suspended_after_indexing(catalog["orange"].village)
    assert product_names(gql(PRODUCTS, {"search": "脐橙", "first": 50})) == ["赣南脐橙"]
