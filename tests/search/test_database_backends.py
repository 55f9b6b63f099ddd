"""What only the database backends do, beyond the shared behaviour suite: the choice of backend by
the connection's vendor, near matches on PostgreSQL (pg_trgm), the cached counts of browsing and
their renewal on every write, and the index structures a search relies on. How SEARCH_BACKENDS
chooses a backend is in test_backend_registry."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from search.analysis import analyse_query
from search.backends import get_backend
from search.backends.database import DatabaseBackend, PostgresBackend, SqliteBackend, tsquery_text, tsvector_text
from search.backends.elasticsearch import ElasticsearchBackend
from search.documents import documents
from search.query import SearchFilters
from tests import factories

pytestmark = pytest.mark.django_db


def index(*products):
    get_backend().bulk_index(documents([p.pk for p in products]))


def test_the_backend_follows_the_settings():
    expected = PostgresBackend if connection.vendor == "postgresql" else SqliteBackend
    database = {"default": {"BACKEND": "search.backends.database.DatabaseBackend", "OPTIONS": {"using": "default"}}}
    with override_settings(SEARCH_BACKENDS=database):
        assert type(get_backend()) is expected
    elasticsearch = {
        "default": {
            "BACKEND": "search.backends.elasticsearch.ElasticsearchBackend",
            "OPTIONS": {"url": "http://127.0.0.1:9", "index_prefix": "test-choice"},
        }
    }
    with override_settings(SEARCH_BACKENDS=elasticsearch):
        backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend)
    with pytest.raises(LookupError):
        get_backend("solr")


def test_the_database_backend_is_the_one_of_its_connection_s_vendor(monkeypatch):
    backend = DatabaseBackend(using="default", name="shop")
    assert type(backend) is (PostgresBackend if connection.vendor == "postgresql" else SqliteBackend)
    assert (backend.using, backend.name) == ("default", "shop")
    # Named directly, a vendor's backend is itself, whatever the connection.
    assert type(PostgresBackend(using="default")) is PostgresBackend
    assert type(SqliteBackend(using="default")) is SqliteBackend
    monkeypatch.setattr(connections["default"], "vendor", "mysql")
    with pytest.raises(ImproperlyConfigured, match="No database search backend for mysql"):
        DatabaseBackend(using="default")


def test_browse_counts_are_renewed_by_every_write():
    """Browsing counts the whole index, so its counts are cached; a write must never leave them
    stale in this process."""
    first = factories.product(name="高山土豆")
    index(first)
    assert get_backend().search("").total == 1
    second = factories.product(name="赣南脐橙", category_=first.category)
    index(second)
    browse = get_backend().search("")
    assert browse.total == 2
    assert {(c.value, c.count) for c in browse.facets["category"]} == {(str(first.category_id), 2)}
    get_backend().delete(first.pk)
    assert get_backend().search("").total == 1
    get_backend().clear()
    assert get_backend().search("").total == 0


def test_browse_counts_come_from_the_cache_until_a_write():
    product = factories.product(name="土蜂蜜")
    index(product)
    get_backend().search("", SearchFilters(in_stock=True))
    with CaptureQueriesContext(connection) as counted:
        again = get_backend().search("", SearchFilters(in_stock=True))
    assert again.total == 1
    assert not [q for q in counted.captured_queries if "count(*)" in q["sql"]], "counted again"


@pytest.fixture
def postgres(require_postgres):
    return PostgresBackend()


def test_a_mistyped_word_among_several_still_finds_the_goods():
    """jieba breaks 赣南齐橙 into 赣南 · 齐 · 橙 and nothing holds all three: two of three words
    are enough, so the goods with 赣南 and 橙 are shown, on either database."""
    orange = factories.product(name="赣南脐橙 10斤")
    other = factories.product(name="赣南茶油")
    potato = factories.product(name="云南高原土豆")
    index(orange, other, potato)
    assert [h.product_id for h in get_backend().search("赣南齐橙").hits] == [orange.pk]
    # One word of three is not enough: 赣南茶油 and 土豆 hold one each.
    assert [h.product_id for h in get_backend().search("赣南 橙 土豆").hits] == [orange.pk]
    # Nothing holds two of 赣南 · 苹果 · 土豆: the second try lets one word more be missing.
    assert {h.product_id for h in get_backend().search("赣南 苹果 土豆").hits} == {orange.pk, other.pk, potato.pk}


def test_the_second_try_misses_one_word_more_but_not_for_a_lone_character():
    orange = factories.product(name="赣南脐橙 10斤")
    honey = factories.product(name="土蜂蜜", description="山里的蜂蜜")
    index(orange, honey)
    # 正宗 is in no product: 赣南脐橙 alone is enough once nothing holds both.
    assert [h.product_id for h in get_backend().search("正宗赣南脐橙").hits] == [orange.pk]
    # 的 is in a description, but a lone character finds nothing by itself.
    assert get_backend().search("停售的卖家").hits == []


def test_misspelt_pinyin_finds_near_matches_on_postgresql(postgres):
    potato = factories.product(name="云南高原土豆")
    kiwi = factories.product(name="红心猕猴桃")
    postgres.bulk_index(documents([potato.pk, kiwi.pk]))
    assert [h.product_id for h in postgres.search("tudo").hits] == [potato.pk]
    assert [h.product_id for h in postgres.search("mihoutou").hits] == [kiwi.pk]
    # Two characters have no trigram of their own: no near match for one short mistyped word.
    assert postgres.search("齐橙").hits == []


def test_a_text_search_on_postgresql_uses_the_gin_index_not_a_table_scan(postgres):
    products = [factories.product(name=f"高山土豆{n}") for n in range(3)]
    postgres.bulk_index(documents([p.pk for p in products]))
    query = tsquery_text(analyse_query("土豆"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT product_id FROM search_entry WHERE vector @@ CAST(%s AS tsquery)", [query])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_entry_vector" in plan, plan


def test_a_search_of_words_on_postgresql_is_one_round_trip(postgres):
    """The setting that keeps the planner off a table scan travels with the search, in one message."""
    potato = factories.product(name="高山土豆")
    postgres.bulk_index(documents([potato.pk]))
    with CaptureQueriesContext(connection) as sent:
        found = postgres.search("土豆")
    assert [h.product_id for h in found.hits] == [potato.pk] and found.total == 1
    assert len(sent) == 1 and sent[0]["sql"].startswith("SET LOCAL enable_seqscan = off; WITH m AS")


@pytest.mark.django_db(transaction=True)
def test_the_search_s_setting_ends_with_its_message(require_postgres):
    """Outside any transaction (a web request's autocommit), SET LOCAL lasts only as long as the
    message's own transaction: the next statement on the connection plans as usual."""
    potato = factories.product(name="高山土豆")
    postgres = PostgresBackend()
    postgres.bulk_index(documents([potato.pk]))
    assert connection.get_autocommit()
    assert [h.product_id for h in postgres.search("土豆").hits] == [potato.pk]
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


def test_a_cursor_bound_on_the_server_sends_the_setting_apart(postgres, monkeypatch):
    """A cursor that binds parameters on the server cannot send two statements in one message."""
    from search.backends import database

    potato = factories.product(name="高山土豆")
    postgres.bulk_index(documents([potato.pk]))
    together = postgres.search("土豆")
    monkeypatch.setattr(database, "_binds_on_client", lambda cursor: False)
    with CaptureQueriesContext(connection) as sent:
        apart = postgres.search("土豆")
    statements = [q["sql"] for q in sent if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == 2
    assert statements[0] == "SET LOCAL enable_seqscan = off" and statements[1].startswith("WITH m AS")
    assert (apart.total, apart.hits, apart.facets) == (together.total, together.hits, together.facets)


def test_postgresql_counts_every_facet_in_one_pass_as_a_pass_each_would(postgres):
    """The one pass (grouped by every facet's values, then added up per facet) gives the counts
    that counting each facet apart gives, with and without filters, and zero when nothing matches."""

    class PassEach(PostgresBackend):
        def _counts(self, filters, facets):
            return DatabaseBackend._counts(self, filters, facets)

    county = factories.village().county
    villages = [factories.village(county=county), factories.village(county=county), factories.village()]
    fruit, tea = factories.category("水果"), factories.category("茶叶")
    products = []
    for n, (village, category, price) in enumerate(
        [
            (0, fruit, "9.90"),
            (0, fruit, "39.90"),
            (1, tea, "59.00"),
            (1, fruit, "120.00"),
            (2, tea, "250.00"),
            (2, fruit, "19.90"),
            (0, tea, "45.00"),
        ]
    ):
        seller = factories.farmer(village_=villages[village])
        variants = [{"name": "5斤装", "price": Decimal(price), "stock": n % 3, "weight_kg": Decimal("2.5")}]
        products.append(factories.product(seller, category, name=f"高山土豆{n}", variants=variants))
    postgres.bulk_index(documents([p.pk for p in products]))
    each = PassEach()
    for text, filters in [
        ("土豆", SearchFilters()),
        ("土豆", SearchFilters(county=county.pk)),
        ("土豆", SearchFilters(category=fruit.pk, price="20-50")),
        ("土豆", SearchFilters(in_stock=True)),
        ("土豆", SearchFilters(village=villages[2].pk, province=villages[2].county.province_id)),
        ("蜂蜜", SearchFilters()),
    ]:
        one_pass, apart = postgres.search(text, filters), each.search(text, filters)
        assert (one_pass.total, one_pass.facets) == (apart.total, apart.facets), (text, filters)
        assert [h.product_id for h in one_pass.hits] == [h.product_id for h in apart.hits]
    everything = postgres.search("土豆")
    assert everything.total == 7
    assert {c.value: c.count for c in everything.facets["county"]} == {str(county.pk): 5, str(villages[2].county_id): 2}
    assert postgres.search("蜂蜜").total == 0


def test_a_search_sorted_by_price_or_date_does_not_rank_its_matches():
    """The name bonus and relevance would be worked out for every match and order nothing."""
    cheap = factories.product(
        name="高山土豆", variants=[{"name": "5斤装", "price": Decimal("9.90"), "stock": 5, "weight_kg": Decimal("2.5")}]
    )
    dear = factories.product(
        name="土豆粉条",
        variants=[{"name": "5斤装", "price": Decimal("29.90"), "stock": 5, "weight_kg": Decimal("2.5")}],
    )
    index(cheap, dear)
    for sort, expected in [("price_asc", [cheap.pk, dear.pk]), ("price_desc", [dear.pk, cheap.pk])]:
        with CaptureQueriesContext(connection) as sent:
            found = get_backend().search("土豆", sort=sort)
        assert [h.product_id for h in found.hits] == expected
        assert not [q for q in sent if "e.name LIKE" in q["sql"]], sort
    with CaptureQueriesContext(connection) as sent:
        get_backend().search("土豆")
    assert [q for q in sent if "e.name LIKE" in q["sql"]], "ranked by relevance"


def test_tsvector_and_tsquery_literals_quote_what_they_hold():
    document = {"title": "土豆 it's", "keywords": "a\\b", "pinyin": "tudou", "body": "", "name_pinyin": "tudou"}
    assert tsvector_text(document) == "'土豆':1A 'it''s':2A 'a\\\\b':3B 'tudou':4C"
    # What was typed is also looked for among the weak field's marked tokens; its synonyms are not.
    assert tsquery_text(analyse_query("冰糖心 苹果")) == (
        "('冰糖心' | ('冰糖' & '糖心') | '~冰糖心') & ('苹果' | 'apple' | '~苹果')"
    )
    # Ranking on the name's vector, which holds no weak field, asks for none of its tokens.
    assert tsquery_text(analyse_query("冰糖心 苹果"), weak=False) == (
        "('冰糖心' | ('冰糖' & '糖心')) & ('苹果' | 'apple')"
    )


def test_the_weak_fields_tokens_are_marked_and_weighted_lowest():
    document = {"title": "红薯", "keywords": "薯类", "sizes": "5斤 5 斤", "pinyin": "", "body": "", "weak": "potato"}
    assert tsvector_text(document) == "'红薯':1A '薯类':2B '5斤':3B '5':4B '斤':5B '~potato':6D"


def test_the_tsquery_of_three_words_asks_for_every_two_of_them():
    """The GIN index then finds exactly the goods holding enough words: none is read to filter."""
    sweet_potato = "('红薯' | ('sweet' & 'potato') | '地瓜' | '甘薯' | '番薯' | '白薯' | '~红薯')"
    huize, specialty = "('会泽' | '~会泽')", "('特产' | '~特产')"
    assert tsquery_text(analyse_query("会泽 红薯 特产")) == (
        f"({huize} & {sweet_potato}) | ({huize} & {specialty}) | ({sweet_potato} & {specialty})"
    )
    # Twelve words: 495 ways of eight, too many to list; any word, and the rows are counted
    # (11 "|" between the words, one inside each for its weak-field token).
    assert (
        tsquery_text(analyse_query("一二 三四 五六 七八 九十 甲乙 丙丁 戊己 庚辛 壬癸 子丑 寅卯")).count("|") == 11 + 12
    )


def test_sqlite_s_word_similarity_is_postgresql_s(postgres):
    """SQLite's near match measures names as pg_trgm does, so both find the same goods."""
    from search.analysis import word_similarity

    pairs = [
        ("tudo", "yun nan yunnan yn tu dou tudou td"),
        ("mihoutou", "shi ba dong hong xin hongxin hx mi hou tao mihoutao mht"),
        ("赣南齐橙", "赣南脐橙 10斤装 当季现摘"),
        ("word", "two words"),
        ("Tudou!", "TUDOU 土豆"),
        ("蜂蜜", "怒江野生土蜂蜜 500克"),
        ("abc", "xyz"),
        ("", "土豆"),
    ]
    with connection.cursor() as cursor:
        for query, text in pairs:
            cursor.execute("SELECT word_similarity(%s, %s)", [query, text])
            assert word_similarity(query, text) == pytest.approx(cursor.fetchone()[0], abs=1e-6), (query, text)
