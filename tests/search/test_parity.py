"""Every backend ranks alike: one catalog (the behaviour suite's), a set of queries, and the first
three hits each should give, written from the catalog's description (`behaviour_catalog.ITEMS`)
by the rules every backend follows, never read back from an engine:

1. goods in stock before sold-out goods;
2. then goods holding more of the words typed (most words are enough, see
   `search.analysis.required_terms`; a word in no product at all is tried without);
3. then goods whose name holds the Chinese word as typed (not only a synonym);
4. then how well the name matches, which a name's length does not lower;
5. equal otherwise, the newest first.

Where the rules leave an order to each engine's scoring (two synonyms, two names of one word),
the expected hits are a set.
"""

import pytest

from tests.search.behaviour_catalog import ITEMS_BY_KEY

pytestmark = pytest.mark.django_db(databases="__all__")

# (query, the first hits: a key, or a frozenset of keys in any order among them)
PARITY = [
    # a whole name; a name's word only in a description comes after the names; sold out last
    ("赣南脐橙", ["gannan_orange", "anyuan_orange", "gannan_gift"]),
    # a word in no product (正宗): the rest still finds the same goods
    ("正宗赣南脐橙", ["gannan_orange", "anyuan_orange", "gannan_gift"]),
    # three words, two enough: 特产 is in no product
    ("会泽土豆 特产", ["huize_potato", "mini_potato"]),
    # all three words (安远 · 脐橙 · 家庭装) before two (安远 is the county of every 老围村 orange)
    ("安远脐橙 家庭装", ["anyuan_orange", "gannan_orange", "gannan_gift"]),
    # 十八 · 洞 · 猕猴桃: the kiwi holds all three, two 十八洞 goods two; the sold-out kiwi last
    ("十八洞 猕猴桃", ["kiwi", frozenset({"cured_pork", "wood_ear"})]),
    # a mistyped word split into 赣南 · 齐 · 橙: two of three; 赣南 in the name before a description
    ("赣南齐橙", ["gannan_orange", "anyuan_orange", "gannan_gift"]),
    # the word typed in the name before its synonyms in names
    ("土豆", ["huize_potato", frozenset({"dingxi_potato", "liangshan_potato"})]),
    ("洋芋", ["liangshan_potato", frozenset({"huize_potato", "dingxi_potato"})]),
    # pinyin
    ("mihoutao", ["kiwi", "kiwi_big"]),
    ("云南 tudou", ["huize_potato", "mini_potato"]),
    # two words, both required
    ("冰糖心 苹果", ["bingtangxin_apple"]),
    ("云南 蜂蜜", ["nu_honey"]),
    # a long name with a pack size ranks as the short one: equal, so the newer first
    ("核桃", ["walnut_gift", "walnut"]),
    # a category's word and one character
    ("茶", [frozenset({"silver_ball_tea", "black_tea"})]),
    ("坚果", ["walnut_gift", "walnut"]),
]

# Misspelt pinyin: the last try's near match of names and their pinyin (pg_trgm's word similarity
# on PostgreSQL; the same measure of candidates from a trigram index on SQLite and the engine).
NEAR = [
    ("mihoutou", ["kiwi", "kiwi_big"]),
    ("tudo", ["huize_potato", "mini_potato"]),
]


def expand(expected) -> list[set[str]]:
    """The expected first hits as one set a position: a key, or each key of a group."""
    positions = []
    for entry in expected:
        group = {entry} if isinstance(entry, str) else set(entry)
        positions += [group] * len(group)
    return positions


def assert_ranked(backend, catalog, text, expected):
    want = expand(expected)
    hits = backend.search(text).hits
    got = catalog.keys_of(hit.product_id for hit in hits[: len(want)])
    assert len(got) == len(want) and all(key in group for key, group in zip(got, want, strict=True)), (
        f"{text!r}: first hits {got}, expected {expected}; all: {catalog.keys_of(h.product_id for h in hits)}"
    )


def test_the_expectations_follow_the_catalog():
    """The rules the expectations rest on hold in the catalog as described."""
    assert ITEMS_BY_KEY["walnut_gift"].in_stock and ITEMS_BY_KEY["walnut"].in_stock
    assert len(ITEMS_BY_KEY["walnut_gift"].name) > len(ITEMS_BY_KEY["walnut"].name)
    assert list(ITEMS_BY_KEY).index("walnut_gift") > list(ITEMS_BY_KEY).index("walnut")  # listed later
    assert not ITEMS_BY_KEY["gannan_gift"].in_stock and not ITEMS_BY_KEY["kiwi_big"].in_stock


@pytest.mark.parametrize(("text", "expected"), PARITY, ids=[text for text, _ in PARITY])
def test_every_backend_ranks_the_first_hits_alike(indexed, behaviour_catalog, text, expected):
    assert_ranked(indexed, behaviour_catalog, text, expected)


@pytest.mark.parametrize(("text", "expected"), NEAR, ids=[text for text, _ in NEAR])
def test_every_backend_finds_misspelt_pinyin_alike(indexed, behaviour_catalog, text, expected):
    assert_ranked(indexed, behaviour_catalog, text, expected)
