"""The search behaviour suite: what a shopper types and what they should find, on every backend
reachable in the run (SQLite and PostgreSQL in every CI run, Elasticsearch when
ELASTICSEARCH_URL answers; see conftest). Expected hits are written from the catalog's
description (`behaviour_catalog.ITEMS`) as a shopper would expect them, never read back from an
engine; every search also checks that no hidden goods and no duplicates came back."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from farmers.models import VerificationState
from farmers.verification import change_verification_state
from search import indexing
from search.analysis import QueryTooLong
from search.query import PRICE_RANGES, Page, SearchFilters, SearchResults
from shop import catalog as catalog_services
from shop.models import Product, Variant
from tests.search.behaviour_catalog import ITEMS_BY_KEY, VISIBLE, Catalog

# The index lives in the default database, or in the in-memory SQLite beside PostgreSQL.
pytestmark = pytest.mark.django_db(databases="__all__")

ALL = Page(0, 100)

# --- What a shopper should find, by meaning -----------------------------------------------------

POTATO_NAMED = {"huize_potato", "mini_potato", "dingxi_potato", "liangshan_potato"}  # 土豆, 马铃薯, 洋芋
TUDOU_NAMED = {"huize_potato", "mini_potato"}  # 土豆 itself in the name
POTATO = POTATO_NAMED | {"cured_pork"}  # the cured pork's description says to stew it with 土豆
SWEET_POTATO = {"sweet_potato", "digua", "digua_twin"}
NAVEL_ORANGE = {"gannan_orange", "gannan_gift", "anyuan_orange"}  # 安远脐橙 says 赣南脐橙 in its text
ORANGE = NAVEL_ORANGE | {"rock_sugar_orange"}
APPLE = {"bingtangxin_apple", "fuji_apple"}
KIWI = {"kiwi", "kiwi_big"}
HONEY = {"nu_honey", "buckwheat_honey"}
TEA = {"silver_ball_tea", "black_tea"}
SHIBADONG = {"kiwi", "kiwi_big", "cured_pork", "wood_ear"}
SANHE = {"liangshan_potato", "buckwheat_honey", "tartary_buckwheat"}


def of_category(*categories: str) -> set[str]:
    return {key for key in VISIBLE if ITEMS_BY_KEY[key].category in categories}


@dataclass
class Shop:
    """A backend with the catalog indexed, asked as a shopper would ask."""

    backend: object
    catalog: Catalog

    def search(self, text: str, filters: SearchFilters | None = None, **options) -> SearchResults:
        options.setdefault("page", ALL)
        results = self.backend.search(text, filters, **options)
        ids = [hit.product_id for hit in results.hits]
        assert len(ids) == len(set(ids)), f"{text!r}: duplicate hits {self.catalog.keys_of(ids)}"
        leaked = set(ids) & self.catalog.ids(*(key for key in self.catalog.products if key not in VISIBLE))
        assert not leaked, f"{text!r}: hidden goods found: {self.catalog.keys_of(leaked)}"
        unknown = set(ids) - self.catalog.ids(*self.catalog.products)
        assert not unknown, f"{text!r}: hits that are no product of the catalog: {unknown}"
        return results

    def keys(self, text: str, filters: SearchFilters | None = None, **options) -> set[str]:
        results = self.search(text, filters, **options)
        found = set(self.catalog.keys_of(hit.product_id for hit in results.hits))
        assert results.total == len(found) or options.get("page", ALL) != ALL, (text, results.total, found)
        return found

    def ordered(self, text: str, filters: SearchFilters | None = None, **options) -> list[str]:
        return self.catalog.keys_of(hit.product_id for hit in self.search(text, filters, **options).hits)

    def hit(self, text: str, key: str, **options):
        for hit in self.search(text, **options).hits:
            if hit.product_id == self.catalog.id(key):
                return hit
        raise AssertionError(f"{text!r} did not find {key}")

    def filters(self, **values) -> SearchFilters:
        """Filters by catalog keys: category="fruit", province="yunnan", price="20-50"…"""
        objects = {
            "category": self.catalog.categories,
            "province": self.catalog.provinces,
            "county": self.catalog.counties,
            "village": self.catalog.villages,
        }
        return SearchFilters(
            **{name: objects[name][value].pk if name in objects else value for name, value in values.items()}
        )

    def suggestions(self, prefix: str, limit: int = 8) -> list[tuple[str, str]]:
        """(name, catalog key) of each suggestion, checked for duplicates, hidden goods and order."""
        found = self.backend.autocomplete(prefix, limit=limit)
        assert len(found) <= limit, f"{prefix!r}: {len(found)} suggestions over the limit of {limit}"
        texts = [s.text for s in found]
        assert len(texts) == len(set(texts)), f"{prefix!r}: duplicate suggestions {texts}"
        pairs = [(s.text, self.catalog.key_of(s.product_id)) for s in found]
        for text, key in pairs:
            assert key in VISIBLE, f"{prefix!r}: hidden goods suggested: {text}"
            assert text == self.catalog.products[key].name, (text, key)
        stock = [ITEMS_BY_KEY[key].in_stock for _, key in pairs]
        assert stock == sorted(stock, reverse=True), f"{prefix!r}: sold-out goods before goods in stock: {texts}"
        return pairs


@pytest.fixture
def shop(indexed, behaviour_catalog) -> Shop:
    return Shop(indexed, behaviour_catalog)


@pytest.fixture
def private_shop(private_index, behaviour_catalog) -> Shop:
    return Shop(private_index, behaviour_catalog)


def names(keys) -> list[str]:
    return sorted(ITEMS_BY_KEY[key].name for key in keys)


# --- Words ----------------------------------------------------------------------------------------

WORDS = [
    # Chinese words, and synonyms both ways
    ("土豆", POTATO),
    ("马铃薯", POTATO),
    ("洋芋", POTATO),
    ("地瓜", SWEET_POTATO),
    ("红薯", SWEET_POTATO),
    # pinyin: of the word, of a synonym; any case, full-width letters, spaces around
    ("tudou", POTATO),
    ("TuDou", POTATO),
    ("ｔｕｄｏｕ", POTATO),
    ("  土豆  ", POTATO),
    ("malingshu", POTATO),
    ("digua", SWEET_POTATO),
    ("mihoutao", KIWI),
    # English: synonyms, phrases, plurals, category names and English text
    # typed English also matches an English category name, weakly: "Potatoes and tubers" holds a 紫薯
    ("potatoes", POTATO | {"purple_sweet_potato"}),
    ("sweet potato", SWEET_POTATO),
    ("赣南脐橙", NAVEL_ORANGE),
    ("navel orange", NAVEL_ORANGE),
    ("Navel Oranges", NAVEL_ORANGE),
    ("kiwi", KIWI),
    ("apple", APPLE),
    ("citrus", of_category("citrus")),
    ("Tubers", of_category("tubers", "potato_tubers")),
    ("mushroom", {"wood_ear"}),
    ("tea", TEA),
    ("vitamin", {"kiwi"}),
    ("wildflower honey", {"nu_honey"}),
    # one and two characters
    ("橙", ORANGE),
    ("茶", TEA),
    ("脐橙", NAVEL_ORANGE),
    ("苹果", APPLE),
    ("木耳", {"wood_ear"}),
    ("猕猴桃", KIWI),
    # the user dictionary: 冰糖心 is one word, not 冰糖 and 心 anywhere (麻阳冰糖橙 贴心礼盒装)
    ("冰糖心", {"bingtangxin_apple"}),
    # honey, and not 蜜橘 (a mandarin) for honey
    ("蜂蜜", HONEY),
    ("honey", HONEY),
    # places: province, county, village, in Chinese, pinyin and English
    ("甘肃", {"dingxi_potato"}),
    ("Gansu", {"dingxi_potato"}),
    ("会泽", {"huize_potato", "mini_potato"}),
    ("昭觉", SANHE),
    ("三河村", SANHE),
    ("十八洞", SHIBADONG),
    ("Shibadong", SHIBADONG),
    ("梁家河", {"bingtangxin_apple", "fuji_apple", "digua", "iron_yam"}),
    # several words: all are required
    ("云南 tudou", {"huize_potato", "mini_potato"}),
    ("土豆 云南", {"huize_potato", "mini_potato"}),
    ("云南 蜂蜜", {"nu_honey"}),
    ("大凉山 蜂蜜", {"buckwheat_honey"}),
    ("冰糖心 苹果", {"bingtangxin_apple"}),
    ("雷山 红茶", {"black_tea"}),
    ("湖南 猕猴桃", KIWI),
]


@pytest.mark.parametrize(("text", "expected"), WORDS, ids=[text.strip() or "blank" for text, _ in WORDS])
def test_finds_what_the_shopper_means(shop, text, expected):
    found = shop.keys(text)
    assert found == expected, f"{text!r}: missing {names(expected - found)}, unexpected {names(found - expected)}"


@pytest.mark.parametrize("text", ["td", "tu dou", "TD"])
def test_initials_and_spaced_syllables_find_tudou(shop, text):
    """Initials and syllables spell 土豆 itself: every product named 土豆 (小土豆 too) must come;
    what 土豆 finds (its synonyms, a description that says 土豆) may; nothing else may."""
    found = shop.keys(text)
    assert found >= TUDOU_NAMED, f"{text!r}: missing {names(TUDOU_NAMED - found)}"
    assert found <= POTATO, f"{text!r}: unexpected {names(found - POTATO)}"


def test_a_word_of_the_user_dictionary_is_not_matched_by_its_parts_apart(shop):
    assert "rock_sugar_orange" not in shop.keys("冰糖心")  # 冰糖橙 贴心礼盒装: 冰糖 … 心
    assert "rock_sugar_orange" in shop.keys("冰糖")
    assert "bingtangxin_apple" in shop.keys("冰糖")


def test_similar_looking_words_do_not_match(shop):
    assert "iron_yam" not in shop.keys("土豆")  # 山药 is not 山药蛋 (a potato)
    assert "xunwu_mandarin" not in shop.keys("蜂蜜")  # 蜜橘 is a mandarin, not honey
    assert "sweet_potato" not in shop.keys("土豆")  # 红薯 is not a potato


# --- Facets ---------------------------------------------------------------------------------------


def assert_facets(shop: Shop, results: SearchResults, expected: dict[str, set[str]]):
    """Each facet counts exactly the goods given for it; lists in the contract's order."""
    for facet, keys in expected.items():
        got = {c.value: c.count for c in results.facets[facet]}
        want = shop.catalog.facet_counts(keys, facet)
        assert got == want, f"facet {facet}: got {got}, expected {want}"
        values = [c.value for c in results.facets[facet]]
        if facet == "price":
            order = [r.key for r in PRICE_RANGES]
            assert values == sorted(values, key=order.index), values
        else:
            counts = {c.value: c.count for c in results.facets[facet]}
            assert values == sorted(values, key=lambda v: (-counts[v], int(v))), values
        assert all(c.count > 0 for c in results.facets[facet])


FACETS = ("category", "province", "county", "village", "price")


def test_facet_counts_under_a_query(shop):
    results = shop.search("土豆")
    assert results.total == len(POTATO)
    assert_facets(shop, results, dict.fromkeys(FACETS, POTATO))


def test_facet_counts_of_the_whole_catalog_add_up_to_the_total(shop):
    results = shop.search("")
    assert results.total == len(VISIBLE)
    assert_facets(shop, results, {facet: set(VISIBLE) for facet in FACETS})
    for facet in FACETS:
        assert sum(c.count for c in results.facets[facet]) == results.total, facet


def test_a_facets_own_filter_does_not_narrow_its_own_counts(shop):
    yunnan = shop.catalog.where(lambda item: item.province == "yunnan")
    results = shop.search("土豆", shop.filters(province="yunnan"))
    assert set(shop.catalog.keys_of(h.product_id for h in results.hits)) == POTATO & yunnan
    assert results.total == len(POTATO & yunnan)
    expected = dict.fromkeys(("category", "county", "village", "price"), POTATO & yunnan)
    expected["province"] = POTATO
    assert_facets(shop, results, expected)


def test_two_filters_narrow_each_others_counts(shop):
    yunnan = shop.catalog.where(lambda item: item.province == "yunnan")
    cheap = shop.catalog.where(lambda item: item.price_bucket == "0-20")
    results = shop.search("", shop.filters(province="yunnan", price="0-20"))
    assert yunnan & cheap == TUDOU_NAMED  # the catalog as the test means it
    assert set(shop.catalog.keys_of(h.product_id for h in results.hits)) == TUDOU_NAMED
    assert_facets(
        shop,
        results,
        {
            "province": cheap,
            "price": yunnan,
            "category": yunnan & cheap,
            "county": yunnan & cheap,
            "village": yunnan & cheap,
        },
    )


def test_category_facet_under_a_top_category_filter_counts_every_category(shop):
    """Picking 水果 narrows the other facets to fruit; the category facet still shows every category."""
    fruit = shop.catalog.where(lambda item: item.top_category == "fruit")
    results = shop.search("", shop.filters(category="fruit"))
    assert results.total == len(fruit)
    assert_facets(shop, results, {"category": set(VISIBLE), "province": fruit, "price": fruit})


FILTERS = [
    ({"category": "fruit"}, lambda item: item.top_category == "fruit"),
    ({"category": "citrus"}, lambda item: item.category == "citrus"),
    ({"category": "dried"}, lambda item: item.top_category == "dried"),  # goods in 干货 itself too
    ({"category": "tea"}, lambda item: item.category == "tea"),
    ({"province": "jiangxi"}, lambda item: item.province == "jiangxi"),
    ({"county": "huize"}, lambda item: item.county == "huize"),
    ({"village": "shibadong"}, lambda item: item.village == "shibadong"),
    *[({"price": r.key}, lambda item, key=r.key: item.price_bucket == key) for r in PRICE_RANGES],
    ({"in_stock": True}, lambda item: item.in_stock),
    ({"in_stock": False}, lambda item: not item.in_stock),
    (
        {"category": "vegetables", "price": "0-20"},
        lambda item: item.top_category == "vegetables" and item.min_price < 20,
    ),
]


@pytest.mark.parametrize(("values", "test"), FILTERS, ids=[str(values) for values, _ in FILTERS])
@pytest.mark.parametrize("text", ["", "土豆"], ids=["browse", "土豆"])
def test_filters_narrow_hits_and_totals(shop, values, test, text):
    expected = shop.catalog.where(test)
    if text:
        expected &= POTATO
    results = shop.search(text, shop.filters(**values))
    found = set(shop.catalog.keys_of(h.product_id for h in results.hits))
    assert found == expected, f"{values}: missing {names(expected - found)}, unexpected {names(found - expected)}"
    assert results.total == len(expected)


def test_prices_on_a_range_edge_belong_to_the_higher_range(shop):
    """¥20.00 is not "under ¥20"; ¥50.00 is in ¥50–100; a product's range is its lowest price's."""
    assert "sweet_potato" in shop.keys("", shop.filters(price="20-50"))  # ¥20.00
    assert "sweet_potato" not in shop.keys("", shop.filters(price="0-20"))
    assert "walnut" in shop.keys("", shop.filters(price="50-100"))  # ¥50.00
    assert "fuji_apple" in shop.keys("", shop.filters(price="20-50"))  # ¥88.00 and ¥48.00 (sold out)


# --- Sorting --------------------------------------------------------------------------------------


def expected_order(shop: Shop, keys, sort_key) -> list[str]:
    """In stock first, then by `sort_key`, ties newest id first."""
    return sorted(keys, key=lambda k: (not ITEMS_BY_KEY[k].in_stock, sort_key(k), -shop.catalog.id(k)))


@pytest.mark.parametrize("text", ["", "土豆"], ids=["browse", "土豆"])
def test_sort_by_price_ascending_keeps_sold_out_goods_last(shop, text):
    keys = set(VISIBLE) if not text else POTATO
    want = expected_order(shop, keys, lambda k: ITEMS_BY_KEY[k].min_price)
    assert shop.ordered(text, sort="price_asc") == want


@pytest.mark.parametrize("text", ["", "土豆"], ids=["browse", "土豆"])
def test_sort_by_price_descending(shop, text):
    keys = set(VISIBLE) if not text else POTATO
    want = expected_order(shop, keys, lambda k: -ITEMS_BY_KEY[k].min_price)
    assert shop.ordered(text, sort="price_desc") == want


@pytest.mark.parametrize("text", ["", "土豆"], ids=["browse", "土豆"])
def test_sort_by_newest(shop, text):
    keys = set(VISIBLE) if not text else POTATO
    want = expected_order(shop, keys, lambda k: -shop.catalog.products[k].created_at.timestamp())
    assert shop.ordered(text, sort="newest") == want


def test_browsing_by_relevance_is_newest_id_first_with_sold_out_last(shop):
    want = expected_order(shop, VISIBLE, lambda k: 0)
    assert shop.ordered("") == want


def test_relevance_puts_a_name_match_above_a_description_match(shop):
    # 赣南脐橙 is in two names; 安远脐橙 only says it in its description; the gift box is sold out.
    assert shop.ordered("赣南脐橙") == ["gannan_orange", "anyuan_orange", "gannan_gift"]
    ranked = shop.ordered("土豆")
    in_stock_names = [k for k in ranked if k in POTATO_NAMED and ITEMS_BY_KEY[k].in_stock]
    assert ranked.index("cured_pork") > max(ranked.index(k) for k in in_stock_names), ranked
    assert ranked[-1] == "mini_potato", "sold out goods come last whatever their relevance"


def test_goods_named_with_the_word_typed_come_before_synonyms(shop):
    # Typed 土豆: the 土豆 in stock first, then 马铃薯 and 洋芋; typed 洋芋, the other way round.
    ranked = [k for k in shop.ordered("土豆") if ITEMS_BY_KEY[k].in_stock]
    assert ranked[0] == "huize_potato", ranked
    ranked = [k for k in shop.ordered("洋芋") if ITEMS_BY_KEY[k].in_stock]
    assert ranked[0] == "liangshan_potato", ranked
    assert ranked.index("huize_potato") > ranked.index("liangshan_potato")


@pytest.mark.parametrize("text", ["土豆", "tudou", "赣南齐橙", "🍊"])
def test_matching_ids_are_the_hits_in_relevance_order(shop, text):
    assert shop.backend.matching_ids(text) == [h.product_id for h in shop.search(text).hits]
    assert shop.backend.matching_ids(text, limit=2) == [h.product_id for h in shop.search(text).hits][:2]


def test_a_sort_outside_the_contract_is_refused(shop):
    with pytest.raises(ValueError):
        shop.backend.search("土豆", sort="cheapest")
    with pytest.raises(ValueError):
        shop.backend.search("土豆", page=Page(offset=-1, limit=10))


# --- Pagination -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sort", "size"),
    [("", "newest", 7), ("", "price_asc", 4), ("", "relevance", 5), ("土豆", "relevance", 2), ("橙", "price_desc", 3)],
)
def test_pages_follow_each_other_without_gaps_or_repeats(shop, text, sort, size):
    whole = shop.ordered(text, sort=sort)
    paged, offset = [], 0
    while True:
        results = shop.search(text, sort=sort, page=Page(offset, size))
        assert results.total == len(whole), f"the total changed at offset {offset}"
        assert len(results.hits) <= size
        if not results.hits:
            break
        paged += shop.catalog.keys_of(h.product_id for h in results.hits)
        offset += size
    assert paged == whole
    assert len(paged) == len(set(paged))


def test_a_page_past_the_end_or_of_nothing_still_gives_the_total(shop):
    results = shop.search("", page=Page(offset=len(VISIBLE) + 10, limit=10))
    assert results.hits == [] and results.total == len(VISIBLE)
    results = shop.search("土豆", page=Page(offset=0, limit=0))
    assert results.hits == [] and results.total == len(POTATO)


# --- Visibility -----------------------------------------------------------------------------------


def test_only_visible_goods_are_indexed(shop):
    results = shop.search("")
    assert set(shop.catalog.keys_of(h.product_id for h in results.hits)) == set(VISIBLE)
    assert results.total == len(VISIBLE)


@pytest.mark.parametrize("text", ["草稿", "特级", "新品", "预售", "待审核", "停售的卖家"])
def test_words_that_only_hidden_goods_have_find_nothing(shop, text):
    assert shop.keys(text) == set()


def reindex(shop: Shop, *keys: str) -> None:
    indexing.index_products(shop.catalog.ids(*keys), backend=shop.backend)


def test_unpublished_goods_leave_the_results_once_reindexed(private_shop):
    shop = private_shop
    catalog_services.update_product(shop.catalog.staff, shop.catalog.products["gannan_orange"], is_published=False)
    reindex(shop, "gannan_orange")
    assert shop.keys("赣南脐橙") == NAVEL_ORANGE - {"gannan_orange"}
    assert shop.search("").total == len(VISIBLE) - 1
    assert shop.catalog.id("gannan_orange") not in {s.product_id for s in shop.backend.autocomplete("赣南")}


def test_goods_of_a_suspended_farmer_leave_the_results_once_reindexed(private_shop):
    shop = private_shop
    farmer = shop.catalog.products["huize_potato"].farmer
    change_verification_state(farmer, VerificationState.SUSPENDED, by=shop.catalog.staff, reason="抽检不合格")
    indexing.index_products(indexing.related_product_ids("farmer", farmer.pk), backend=shop.backend)
    assert shop.keys("土豆") == POTATO - {"huize_potato", "mini_potato"}
    assert shop.keys("会泽") == set()


def test_deleted_goods_leave_the_results_once_reindexed(private_shop):
    shop = private_shop
    product_id = shop.catalog.id("kiwi")
    # A copy: deleting clears the instance's pk, and the catalog's instances outlive this test.
    catalog_services.delete_product(shop.catalog.staff, Product.objects.get(pk=product_id))
    indexing.index_products([product_id], backend=shop.backend)
    found = shop.backend.search("猕猴桃", page=ALL)
    assert [h.product_id for h in found.hits] == [shop.catalog.id("kiwi_big")]
    assert found.total == 1


def test_a_published_draft_is_found_once_indexed(private_shop):
    shop = private_shop
    catalog_services.update_product(shop.catalog.staff, shop.catalog.products["draft_potato"], is_published=True)
    reindex(shop, "draft_potato")
    found = {hit.product_id for hit in shop.backend.search("土豆", page=ALL).hits}
    assert found == shop.catalog.ids(*POTATO, "draft_potato")


def test_a_renamed_product_is_found_by_its_new_name_only(private_shop):
    shop = private_shop
    catalog_services.update_product(shop.catalog.staff, shop.catalog.products["wood_ear"], name="大兴安岭椴木香菇")
    reindex(shop, "wood_ear")
    assert shop.keys("木耳") == set()
    assert shop.keys("香菇") == {"wood_ear"}
    assert shop.keys("shiitake") == {"wood_ear"}


def test_a_new_price_moves_goods_to_another_price_range(private_shop):
    shop = private_shop
    variant = Variant.objects.get(product=shop.catalog.products["huize_potato"])
    catalog_services.update_variant(shop.catalog.staff, variant, price=Decimal("219.00"))
    reindex(shop, "huize_potato")
    assert "huize_potato" in shop.keys("土豆", shop.filters(price="200-"))
    assert "huize_potato" not in shop.keys("土豆", shop.filters(price="0-20"))
    assert shop.ordered("土豆", sort="price_desc")[0] == "huize_potato"


# --- Highlights -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "name"),
    [
        ("土豆", "huize_potato", "云南会泽<mark>土豆</mark> 黄心 10斤"),
        ("tudou", "huize_potato", "云南会泽<mark>土豆</mark> 黄心 10斤"),
        ("马铃薯", "huize_potato", "云南会泽<mark>土豆</mark> 黄心 10斤"),
        ("土豆", "dingxi_potato", "定西<mark>马铃薯</mark> 渭源高原种植 20斤"),
        ("洋芋", "mini_potato", "小<mark>土豆</mark> 迷你<mark>洋芋</mark> 5斤"),
        ("navel orange", "gannan_orange", "赣南<mark>脐橙</mark> 10斤装 当季现摘"),
        ("冰糖心", "bingtangxin_apple", "<mark>冰糖心</mark>苹果 延川山地红富士 5斤"),
        ("地瓜", "sweet_potato", "<mark>红薯</mark> 烟薯25号 5斤"),
    ],
)
def test_the_name_highlight_marks_the_matched_word(shop, text, key, name):
    assert shop.hit(text, key).highlights.get("name") == name


def test_the_description_highlight_is_a_marked_snippet(shop):
    hit = shop.hit("土豆", "cured_pork")
    assert "name" not in hit.highlights
    assert "<mark>土豆</mark>" in hit.highlights["description"]
    assert shop.hit("vitamin", "kiwi").highlights["description"].count("<mark>vitamin</mark>") == 1


def test_highlights_escape_html_in_names_and_descriptions(private_shop):
    shop = private_shop
    product = catalog_services.create_product(
        shop.catalog.staff,
        name='<b>花椒</b> & "麻" 的',
        category=shop.catalog.categories["dried"],
        farmer=shop.catalog.products["liangshan_potato"].farmer,
        description="<script>alert('花椒')</script> 大红袍花椒，麻味足。",
        is_published=True,
        variants=[{"name": "半斤", "price": Decimal("30.00"), "stock": 5, "weight_kg": Decimal("1")}],
    )
    indexing.index_products([product.pk], backend=shop.backend)
    hits = [h for h in shop.backend.search("花椒", page=ALL).hits if h.product_id == product.pk]
    assert len(hits) == 1
    assert hits[0].highlights["name"] == "&lt;b&gt;<mark>花椒</mark>&lt;/b&gt; &amp; &quot;麻&quot; 的"
    description = hits[0].highlights["description"]
    assert "<script>" not in description and "&lt;script&gt;" in description
    assert "<mark>花椒</mark>" in description


# --- Autocomplete ---------------------------------------------------------------------------------


def test_autocomplete_a_chinese_prefix(shop):
    suggested = dict(shop.suggestions("赣南"))
    assert {"赣南脐橙 10斤装 当季现摘", "赣南脐橙礼盒 5斤"} <= set(suggested)
    assert set(suggested.values()) <= NAVEL_ORANGE
    assert next(iter(suggested)) == "赣南脐橙 10斤装 当季现摘"  # in stock, named so: before the sold-out box


@pytest.mark.parametrize("prefix", ["tud", "tudo", "td"])
def test_autocomplete_pinyin_prefixes_and_initials(shop, prefix):
    suggested = [key for _, key in shop.suggestions(prefix)]
    assert set(suggested) >= TUDOU_NAMED, f"{prefix!r}: {suggested}"
    assert set(suggested) <= POTATO, f"{prefix!r}: {suggested}"


def test_autocomplete_while_typing_a_word(shop):
    assert {key for _, key in shop.suggestions("猕猴")} == KIWI
    assert {key for _, key in shop.suggestions("mihou")} == KIWI
    assert {key for _, key in shop.suggestions("赣")} <= NAVEL_ORANGE
    assert {key for _, key in shop.suggestions("赣")} >= {"gannan_orange", "gannan_gift"}


def test_autocomplete_gives_each_name_once(shop):
    suggested = shop.suggestions("地瓜")
    assert [text for text, _ in suggested].count("农家地瓜 10斤") == 1
    assert {key for _, key in suggested} <= SWEET_POTATO


def test_autocomplete_respects_the_limit(shop):
    assert len(shop.suggestions("橙", limit=2)) == 2
    assert len(shop.suggestions("村", limit=3)) == 3
    assert len(shop.suggestions("村", limit=20)) == 20  # 26 goods, 25 distinct names, all in a 村


def test_autocomplete_of_nothing_suggests_nothing(shop):
    assert shop.suggestions("") == []
    assert shop.suggestions("  ") == []
    assert shop.suggestions("？！") == []
    with pytest.raises(QueryTooLong):
        shop.backend.autocomplete("土" * 1000)


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_an_empty_query_browses_everything_with_facets(shop, text):
    results = shop.search(text)
    assert results.total == len(VISIBLE)
    assert_facets(shop, results, {facet: set(VISIBLE) for facet in FACETS})


@pytest.mark.parametrize("text", ["土豆" * 500, "a" * 1000, "tudou " * 200])
def test_a_thousand_characters_is_refused_clearly(shop, text):
    with pytest.raises(QueryTooLong):
        shop.backend.search(text)


NOTHING_TO_SEARCH = [
    "!!!",
    "，。、？",
    "🍊🍎🥔",
    "*",
    "*:*",
    "%",
    "%%",
    "_",
    "%_%",
    "-",
    "'",
    '"',
    '""',
    "()",
    ":",
    "\\",
    "&& || !",
    "[ ] { } ^ ~ /",
    "\x00",
    "\x07\x1b\x7f",
]


@pytest.mark.parametrize("text", NOTHING_TO_SEARCH, ids=[repr(t) for t in NOTHING_TO_SEARCH])
def test_only_punctuation_emoji_or_control_characters_find_nothing(shop, text):
    results = shop.search(text)
    assert results.total == 0 and results.hits == []
    assert shop.keys("土豆") == POTATO


# (query, what a shopper may be shown: every hit must be among these; None: exactly 土豆's hits)
SYNTAX = [
    ('"土豆"', None),
    ("土豆*", None),
    ("(土豆)", None),
    ("土豆'", None),
    ("土豆%", None),
    ("土豆\x00", None),
    ("\x00土豆\x00", None),
    ("土豆~2", POTATO),
    ("土豆^10", POTATO),
    ("title:土豆", POTATO),
    ("name:(土豆 OR 红薯)", POTATO | SWEET_POTATO),
    ("土豆 AND 云南", TUDOU_NAMED),
    # Two words no product holds both of: the second try lets one be missing, so either kind.
    ("土豆 OR NOT 红薯", POTATO | SWEET_POTATO),
    ("-土豆", POTATO),
    ("土_豆", POTATO),
    ("AND", of_category("coarse_grain", "rice", "potato_tubers")),  # "and" of "Grain and oil", "Potatoes and tubers"
    ("OR NOT", set()),
    ("NEAR/3", set()),
    ("'; DROP TABLE search_entry; --", set()),
    ("土豆'; DELETE FROM search_fts; --", POTATO),
    ("土豆' OR '1'='1", POTATO),
    ('土豆" OR 1=1 --', POTATO),
    ("1 UNION SELECT product_id FROM search_entry", set()),
    ("xyz\x00abc", set()),
    ("\x1b[31m土豆", POTATO),
    ('{"query": {"match_all": {}}}', set()),
    ("土豆 " * 20, None),
]


@pytest.mark.parametrize(("text", "allowed"), SYNTAX, ids=[repr(t) for t, _ in SYNTAX])
def test_query_syntax_and_sql_are_just_text(shop, text, allowed):
    """Nothing typed reaches a query parser or SQL as syntax: no error, no match-everything, and
    the index answers as before afterwards."""
    found = shop.keys(text)
    if allowed is None:
        assert found == POTATO, f"{text!r}: got {names(found)}"
    else:
        assert found <= allowed, f"{text!r}: unexpected {names(found - allowed)}"
    assert shop.keys("土豆") == POTATO
    assert shop.search("").total == len(VISIBLE)


# --- Forgiving what shoppers type: traditional characters, stop words, English, noise, sizes -------

FIVE_JIN = {  # 5斤 in the name, or a size named 5斤装
    "gannan_gift",
    "walnut_gift",
    "bingtangxin_apple",
    "mini_potato",
    "sweet_potato",
    "iron_yam",
    "red_rice",
    "purple_sweet_potato",
}
TEN_JIN = {  # 10斤 in the name, or a size named 10斤装
    "gannan_orange",
    "xunwu_mandarin",
    "fuji_apple",
    "huize_potato",
    "liangshan_potato",
    "digua",
    "digua_twin",
    "purple_sweet_potato",
}
FRUIT = {key for key in VISIBLE if ITEMS_BY_KEY[key].top_category == "fruit"}
YUNNAN = {key for key in VISIBLE if ITEMS_BY_KEY[key].province == "yunnan"}

FORGIVING = [
    # traditional characters find what the simplified ones find
    ("蘋果", APPLE),
    ("獼猴桃", KIWI),
    ("臍橙", NAVEL_ORANGE),
    ("贛南臍橙", NAVEL_ORANGE),
    ("馬鈴薯", POTATO),
    ("雲南 土豆", {"huize_potato", "mini_potato"}),
    ("蜂蜜 雲南", {"nu_honey"}),
    # stop words around the goods are left out
    ("想买点正宗的赣南脐橙", NAVEL_ORANGE),
    ("我要买土豆", POTATO),
    ("请问有没有蜂蜜", HONEY),
    ("帮我找一下云南的土豆", {"huize_potato", "mini_potato"}),
    ("i want some honey", HONEY),
    # a compound of the dictionary no goods hold: its words, as if typed apart (no goods from 奉节)
    ("奉节脐橙", NAVEL_ORANGE),
    # English words of goods, of categories and of places
    ("walnuts", {"walnut", "walnut_gift"}),
    ("orange", ORANGE),
    ("black tea", {"black_tea"}),
    ("cured pork", {"cured_pork"}),
    ("fruit", FRUIT),
    ("Yunnan", YUNNAN),
    ("Yunnan honey", {"nu_honey"}),
    # sizes: in the name or only in a variant's name
    ("5斤", FIVE_JIN),
    ("5斤装", FIVE_JIN),
    ("5 斤", FIVE_JIN),
    ("10斤", TEN_JIN),
    ("12个", {"kiwi"}),
    ("紫薯 5斤", {"purple_sweet_potato"}),
    # a seller's name still finds its goods (weakly)
    ("专业合作社", {"gannan_orange"}),
]


@pytest.mark.parametrize(("text", "expected"), FORGIVING, ids=[text for text, _ in FORGIVING])
def test_forgiving_queries_find_what_the_shopper_means(shop, text, expected):
    found = shop.keys(text)
    assert found == expected, f"{text!r}: missing {names(expected - found)}, unexpected {names(found - expected)}"


@pytest.mark.parametrize(
    ("traditional", "simplified"), [("蘋果", "苹果"), ("獼猴桃", "猕猴桃"), ("贛南臍橙", "赣南脐橙")]
)
def test_traditional_characters_rank_as_the_simplified_ones(shop, traditional, simplified):
    assert shop.ordered(traditional) == shop.ordered(simplified)


def test_stop_words_neither_narrow_nor_reorder(shop):
    assert shop.ordered("想买点正宗的赣南脐橙") == shop.ordered("赣南脐橙")
    assert shop.ordered("我要买土豆") == shop.ordered("土豆")


def test_a_query_of_only_stop_words_is_searched_as_typed(shop):
    """的 alone is not dropped to nothing (which would browse everything)."""
    assert shop.search("的").total < len(VISIBLE)
    assert shop.keys("and") == of_category("coarse_grain", "rice", "potato_tubers")  # "Grain and oil"…


def test_a_name_written_in_traditional_characters_is_found_by_simplified_ones(private_shop):
    shop = private_shop
    product = catalog_services.create_product(
        shop.catalog.staff,
        name="高山蘋果 禮盒裝",
        category=shop.catalog.categories["fresh_fruit"],
        farmer=shop.catalog.products["fuji_apple"].farmer,
        description="臺灣客人也愛吃的脆甜蘋果。",
        is_published=True,
        variants=[{"name": "5斤裝", "price": Decimal("66.00"), "stock": 5, "weight_kg": Decimal("2.5")}],
    )
    indexing.index_products([product.pk], backend=shop.backend)
    for text in ("苹果", "蘋果", "礼盒", "5斤"):
        hits = [h for h in shop.backend.search(text, page=ALL).hits if h.product_id == product.pk]
        assert len(hits) == 1, text
    (hit,) = [h for h in shop.backend.search("苹果", page=ALL).hits if h.product_id == product.pk]
    assert hit.highlights["name"] == "高山<mark>蘋果</mark> 禮盒裝"  # marked where the shopper sees it


def test_a_synonym_does_not_find_goods_through_an_english_category_name(shop):
    """ "tudou" and 土豆 mean potato, but a 紫薯 in "Potatoes and tubers" is no potato: only a word
    the shopper typed may match an English category name (or a seller's name)."""
    for text in ("tudou", "土豆", "马铃薯", "malingshu"):
        assert "purple_sweet_potato" not in shop.keys(text), text


def test_potatoes_rank_above_a_sweet_potato_whose_category_says_potatoes(shop):
    """Typed "potatoes" may show the 紫薯 of "Potatoes and tubers", but after every potato in stock."""
    for text in ("potatoes", "potato"):
        ranked = [key for key in shop.ordered(text) if ITEMS_BY_KEY[key].in_stock]
        assert ranked.index("purple_sweet_potato") > max(ranked.index(key) for key in POTATO_NAMED & set(ranked))
    ranked = shop.ordered("tudou")
    in_stock_potatoes = [key for key in ranked if key in POTATO_NAMED and ITEMS_BY_KEY[key].in_stock]
    assert ranked[: len(in_stock_potatoes)] == in_stock_potatoes, ranked


def test_a_size_named_only_on_a_variant_is_highlighted_nowhere_but_found(shop):
    """紫薯's 5斤 is in its sizes, not its name: found, its name left unmarked."""
    hit = shop.hit("5斤", "purple_sweet_potato")
    assert "name" not in hit.highlights
    assert shop.hit("5斤", "gannan_gift").highlights["name"] == "赣南脐橙礼盒 <mark>5斤</mark>"
