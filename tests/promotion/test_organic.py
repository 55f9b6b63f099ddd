"""promotion.organic.rank over hand-built readers and candidates: relevance, ordered goods held
back, exploration share, diversity, and the non-personal order (anonymous, or switched off)."""

import datetime
import itertools

import pytest

from promotion import organic
from promotion.feed_reader import ANONYMOUS, Candidate, Reason, ViewerProfile
from promotion.organic import rank

NOW = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)
TEA, APPLES, HONEY, RICE = 1, 2, 3, 4
CATEGORY_NAMES = {TEA: "茶叶", APPLES: "苹果", HONEY: "蜂蜜", RICE: "大米"}
VILLAGES = 6
OLD = NOW - datetime.timedelta(days=400)


def days_ago(n: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=n)


def goods(n: int, **fields) -> Candidate:
    """Product n of an established catalogue: 12 farmers over 6 villages, 4 categories in turn,
    listed a day apart, each seen often enough to need no exploration."""
    farmer = n % 12
    values = {
        "product_id": n,
        "farmer_id": farmer,
        "village_id": farmer % VILLAGES,
        "province_id": 100 + farmer % 2,
        "category_id": 1 + n % 4,
        "created_at": days_ago(1 + n),
        "farmer_since": OLD,
        "poverty_gap": 0.2,
        "click_rate": 0.05,
        "order_rate": 0.02,
        "impressions": 1000,
        "village_name": f"村{farmer % VILLAGES}",
        "farmer_name": f"农户{farmer}",
        "province_name": "省",
    }
    values["category_name"] = CATEGORY_NAMES[values["category_id"]]
    values.update(fields)
    return Candidate(**values)


@pytest.fixture
def catalogue() -> list[Candidate]:
    return [goods(n) for n in range(96)]


def newcomer_goods(count: int, start: int = 1000) -> list[Candidate]:
    """Goods of a farmer who just listed (a village of their own), not yet seen."""
    return [
        goods(
            start + i,
            farmer_id=500,
            village_id=50,
            farmer_name="新农户",
            created_at=days_ago(2),
            farmer_since=days_ago(2),
            impressions=0,
            category_id=RICE,
            category_name="大米",
        )
        for i in range(count)
    ]


TEA_DRINKER = ViewerProfile(key="u:7", categories={TEA: 4.0, HONEY: 0.4}, villages={3: 0.5}, province_id=100)


def ids(ranked) -> list[int]:
    return [c.product_id for c, _reason in ranked]


def test_every_candidate_comes_once(catalogue):
    ranked = rank(catalogue, TEA_DRINKER, now=NOW, seed=1)
    assert sorted(ids(ranked)) == sorted(c.product_id for c in catalogue)


def test_a_tea_drinker_sees_tea_first(catalogue):
    ranked = rank(catalogue, TEA_DRINKER, now=NOW, seed=1)
    top = [c for c, _reason in ranked[:10]]
    assert top[0].category_id == TEA
    assert sum(c.category_id == TEA for c in top) >= 7
    assert ranked[0][1] == Reason("category", "茶叶")
    anonymous_top = [c for c, _reason in rank(catalogue, ANONYMOUS, now=NOW, seed=1)[:10]]
    assert sum(c.category_id == TEA for c in anonymous_top) <= 4


def test_goods_unrelated_to_the_reader_still_appear(catalogue):
    apples = {c.product_id for c in catalogue if c.category_id == APPLES}
    ranked = ids(rank(catalogue, TEA_DRINKER, now=NOW, seed=1))
    assert apples <= set(ranked)
    assert min(ranked.index(pk) for pk in apples) < 30


def test_goods_ordered_lately_do_not_fill_the_feed(catalogue):
    tea = [c.product_id for c in catalogue if c.category_id == TEA][:6]
    bought = ViewerProfile(key="u:7", categories={TEA: 4.0}, ordered=frozenset(tea))
    ranked = ids(rank(catalogue, bought, now=NOW, seed=1))
    assert set(ranked[-len(tea) :]) == set(tea), "held back to the very end"
    assert not set(ranked[:40]) & set(tea)
    # Other tea still leads: the interest stays, only the goods already bought step back.
    by_id = {c.product_id: c for c in catalogue}
    assert by_id[ranked[0]].category_id == TEA


def test_one_position_in_five_explores_and_a_new_farmer_is_seen_on_the_first_page(catalogue):
    new = newcomer_goods(3)
    ranked = rank(catalogue + new, TEA_DRINKER, now=NOW, seed=1)
    positions = [i for i, (c, _reason) in enumerate(ranked) if c.farmer_id == 500]
    assert positions and positions[0] < 10, positions
    # The catalogue's own goods all had many impressions: the exploration slots go to the newcomer
    # while its goods last, labelled "new", and to nothing else.
    assert positions == [4, 9, 14]
    assert all(ranked[p][1] == Reason("new") for p in positions)


def test_exploration_share_holds_over_several_pages(catalogue):
    # Half the catalogue barely seen: the pool is larger than the exploration slots.
    fresh = [goods(n, impressions=n % 7) if n % 2 else c for n, c in enumerate(catalogue)]
    ranked = rank(fresh, ANONYMOUS, now=NOW, seed=3)
    pool = {c.product_id for c in fresh if c.impressions < organic.FEW_IMPRESSIONS}
    slots = [p for p in range(60) if p % organic.EXPLORE_EVERY == organic.EXPLORE_EVERY - 1]
    assert all(ranked[p][0].product_id in pool for p in slots)
    # The unseen ones first: every slot of the first three pages goes to a listing never shown.
    assert all(ranked[p][0].impressions < organic.IMPRESSION_BUCKET for p in slots)
    # A different seed draws other explorers.
    other = rank(fresh, ANONYMOUS, now=NOW, seed=4)
    assert [ranked[p][0].product_id for p in slots] != [other[p][0].product_id for p in slots]


def test_no_two_goods_of_one_farmer_side_by_side_and_villages_spread(catalogue):
    # One farmer (village 0) has far better goods than everyone: without the pass they would fill the top.
    star = [goods(n, click_rate=0.5, order_rate=0.3) if n % 12 == 0 else c for n, c in enumerate(catalogue)]
    for profile in (TEA_DRINKER, ANONYMOUS):
        ranked = [c for c, _reason in rank(star + newcomer_goods(4), profile, now=NOW, seed=2)]
        head = ranked[:60]
        assert not any(a.farmer_id == b.farmer_id for a, b in itertools.pairwise(head))
        for start in range(len(head) - organic.VILLAGE_WINDOW + 1):
            window = [c.village_id for c in head[start : start + organic.VILLAGE_WINDOW]]
            assert max(window.count(v) for v in window) <= organic.VILLAGE_MAX, (start, window)
    assert ranked[0].farmer_id == 0, "the best goods still lead"


def test_poorer_villages_fresher_and_better_goods_rank_higher():
    base = goods(1, impressions=1000)
    same = {"farmer_id": 2, "village_id": 2, "product_id": 2}
    assert ids(rank([base, goods(1, poverty_gap=0.6, **same)], ANONYMOUS, now=NOW, seed=1))[0] == 2
    assert ids(rank([base, goods(1, created_at=days_ago(0.5), **same)], ANONYMOUS, now=NOW, seed=1))[0] == 2
    assert ids(rank([base, goods(1, click_rate=0.1, **same)], ANONYMOUS, now=NOW, seed=1))[0] == 2
    assert ids(rank([base, goods(1, order_rate=0.01, **same)], ANONYMOUS, now=NOW, seed=1))[0] == 1


def test_anonymous_readers_get_one_order(catalogue):
    new = newcomer_goods(3)
    first = rank(catalogue + new, ANONYMOUS, now=NOW, seed=9)
    second = rank(list(reversed(catalogue + new)), ViewerProfile(key="c:someone-else"), now=NOW, seed=9)
    assert ids(first) == ids(second)
    assert {reason.kind for _c, reason in first if reason} <= {"new", "popular", "fresh"}


def test_switched_off_a_rich_profile_changes_nothing(catalogue):
    rich = ViewerProfile(
        key="u:7",
        categories={TEA: 4.0},
        farmers={3: 2.0},
        villages={3: 1.0},
        province_id=100,
        ordered=frozenset({1, 5}),
        personal=False,
    )
    switched_off = rank(catalogue + newcomer_goods(2), rich, now=NOW, seed=5)
    anonymous = rank(catalogue + newcomer_goods(2), ANONYMOUS, now=NOW, seed=5)
    assert ids(switched_off) == ids(anonymous)
    assert all(reason is None for _c, reason in switched_off)


def test_the_reason_is_the_strongest_personal_signal():
    tea_of_a_known_farmer = goods(1, category_id=TEA, category_name="茶叶", farmer_id=3, farmer_name="王大姐")
    profile = ViewerProfile(key="u:1", categories={TEA: 0.3, HONEY: 1.0}, farmers={3: 5.0})
    ((_c, reason),) = rank([tea_of_a_known_farmer], profile, now=NOW, seed=1)
    assert reason == Reason("farmer", "王大姐")
    ((_c, reason),) = rank([goods(2, province_id=100)], ViewerProfile(key="u:1", province_id=100), now=NOW, seed=1)
    assert reason == Reason("province", "省")


def test_the_same_seed_and_time_give_the_same_order(catalogue):
    everything = catalogue + newcomer_goods(5)
    assert rank(everything, TEA_DRINKER, now=NOW, seed=11) == rank(everything, TEA_DRINKER, now=NOW, seed=11)


def test_nothing_to_rank():
    assert rank([], TEA_DRINKER, now=NOW, seed=1) == []
