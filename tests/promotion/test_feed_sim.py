"""The offline feed simulation (bench/feed_sim.py): its metrics on inputs small enough to work out by
hand, its in-memory affinity rule, and a tiny run over a catalogue built here."""

import datetime
from decimal import Decimal

import pytest

from bench import feed_sim
from bench.feed_sim import Affinities, Figures, gini, judge, poorest_third, poorest_third_share
from promotion.feed import organic_products
from promotion.feed_reader import Candidate
from tests import factories

# --- Metrics -----------------------------------------------------------------------------------


def test_gini_of_equal_values_is_zero():
    assert gini([5, 5, 5]) == 0.0


def test_gini_when_one_holds_everything_is_n_minus_one_over_n():
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert gini([7, 0]) == pytest.approx(0.5)


def test_gini_of_one_two_three():
    # Mean absolute difference 8/9 over twice the mean 2.
    assert gini([3, 1, 2]) == pytest.approx(2 / 9)


def test_gini_of_nothing_is_zero_and_negative_values_are_refused():
    assert gini([]) == 0.0
    assert gini([0, 0]) == 0.0
    with pytest.raises(ValueError):
        gini([1, -1])


def test_poorest_third_takes_the_largest_gaps_rounding_up():
    gaps = {1: 0.5, 2: 0.1, 3: 0.9, 4: 0.0}
    assert poorest_third(gaps) == {3, 1}  # ceil(4 / 3) = 2 villages
    assert poorest_third({1: 0.2, 2: 0.3, 3: 0.1}) == {2}


def test_poorest_third_breaks_ties_by_id():
    assert poorest_third({9: 0.4, 4: 0.4, 7: 0.4}) == {4}


def test_poorest_third_share_counts_impressions_of_those_villages():
    gaps = {1: 0.5, 2: 0.1, 3: 0.9, 4: 0.0}
    assert poorest_third_share({3: 30, 1: 10, 2: 60}, gaps) == pytest.approx(0.4)
    assert poorest_third_share({2: 5, 4: 5}, gaps) == 0.0
    assert poorest_third_share({}, gaps) == 0.0


def test_judge_compares_with_the_baseline():
    today = Figures("today", feed_views=1000, clicks=200, poorest_share=0.30, gini=0.60)
    better = Figures("organic", feed_views=1000, clicks=260, poorest_share=0.30, gini=0.60)
    worse = Figures("organic", feed_views=1000, clicks=259, poorest_share=0.29, gini=0.61)
    assert [v.passed for v in judge(today, better)] == [True, True, True]
    assert [v.passed for v in judge(today, worse)] == [False, False, False]
    assert judge(today, worse)[0].figure == "+29.5%"


# --- What the simulation learns ----------------------------------------------------------------

T0 = datetime.datetime(2025, 11, 3, 8, 0, tzinfo=datetime.UTC)


def _candidate(pk=1, farmer=10, village=20, category=30):
    return Candidate(pk, farmer, village, 40, category, T0, T0, 0.5)


def test_affinities_add_event_weights_and_halve_every_fourteen_days():
    affinities = Affinities()
    affinities.record("c:a", "click", _candidate(), T0)
    affinities.record("c:a", "order", _candidate(), T0)
    profile = affinities.profile("c:a", 40, T0 + datetime.timedelta(days=14))
    assert profile.categories == {30: pytest.approx(5.0)}  # (2 + 8) / 2
    assert profile.villages == {20: pytest.approx(5.0)}
    assert profile.farmers == {10: pytest.approx(5.0)}
    assert profile.province_id == 40
    assert profile.ordered == {1}
    assert affinities.profile("c:a", None, T0 + datetime.timedelta(days=31)).ordered == frozenset()
    assert affinities.profile("c:other", None, T0).is_empty


def test_affinities_give_a_cooperatives_goods_no_farmer_weight_and_drop_faint_ones():
    affinities = Affinities()
    affinities.record("c:a", "view", _candidate(farmer=-3), T0)
    assert affinities.profile("c:a", None, T0).farmers == {}
    # One view (1.0) is under MIN_WEIGHT after 5 half-lives; the next update drops it.
    affinities.record("c:a", "view", _candidate(category=31), T0 + datetime.timedelta(days=70))
    assert affinities.profile("c:a", None, T0 + datetime.timedelta(days=70)).categories == {31: 1.0}


# --- A tiny run --------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    poor = factories.village(poverty_line=Decimal("4000"), baseline_income=Decimal("1000"))
    middling = factories.village(poverty_line=Decimal("4000"), baseline_income=Decimal("3000"))
    rich = factories.village(poverty_line=Decimal("4000"), baseline_income=Decimal("5000"))
    tea, apples = factories.category(), factories.category()
    farmers = [factories.farmer(village_=village) for village in (poor, middling, rich)]
    coop = factories.cooperative(village_=rich)
    for n in range(8):
        factories.product(seller=farmers[n % 3], category_=tea if n % 2 else apples)
    factories.product(seller=coop, category_=tea)
    factories.product(seller=farmers[0], published=False)
    return feed_sim.load_catalogue()


def test_the_catalogue_is_the_feeds_goods_in_todays_order(catalogue):
    assert [c.product_id for c in catalogue.candidates] == list(organic_products().values_list("pk", flat=True))
    assert len(catalogue.candidates) == 9
    assert len(catalogue.seller_keys) == 4
    coop_goods = [c for c in catalogue.candidates if catalogue.sellers[c.product_id].startswith("cooperative:")]
    assert len(coop_goods) == 1 and coop_goods[0].farmer_id < 0
    assert sorted(catalogue.gaps.values()) == [0.0, 0.25, 0.75]
    # Listing dates spread before the start, newest first, as today's feed shows them.
    listed = [c.created_at for c in catalogue.candidates]
    assert listed == sorted(listed, reverse=True) and listed[0] < feed_sim.START


@pytest.mark.parametrize("name", ["today", "standin", "organic"])
def test_a_tiny_simulation_gives_well_formed_repeatable_figures(catalogue, name):
    ranker = feed_sim.available_rankers()[name]
    figures = feed_sim.simulate(catalogue, name, ranker, viewers=6, days=1, seed=3)
    again = feed_sim.simulate(catalogue, name, ranker, viewers=6, days=1, seed=3)

    assert figures.feed_views > 0
    assert figures.impressions == sum(figures.by_seller.values()) == sum(figures.by_village.values())
    assert figures.impressions <= figures.feed_views * feed_sim.PAGE_GOODS
    assert 0 <= figures.orders <= figures.clicks <= figures.impressions
    assert set(figures.by_seller) == catalogue.seller_keys
    assert 0.0 <= figures.poorest_share <= 1.0
    assert 0.0 <= figures.gini < 1.0
    assert figures.clicks_per_1000 == pytest.approx(1000 * figures.clicks / figures.feed_views)
    assert (again.feed_views, again.clicks, again.orders, again.by_seller, again.gini) == (
        figures.feed_views,
        figures.clicks,
        figures.orders,
        figures.by_seller,
        figures.gini,
    )


def test_every_ranker_meets_the_same_viewers_on_the_same_days(catalogue):
    rankers = feed_sim.available_rankers()
    runs = [feed_sim.simulate(catalogue, n, rankers[n], viewers=6, days=2, seed=5) for n in ("today", "organic")]
    # Nine goods fill less than a page: every visit is one feed view, whatever the order.
    assert runs[0].feed_views == runs[1].feed_views
