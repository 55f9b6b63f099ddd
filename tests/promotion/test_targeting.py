"""Sponsor targeting: a campaign may aim at readers' provinces and interests, and cap how often one
reader sees it a day. Targeting is decided from the per-process serving index (no query); the cap
is checked and counted by the budget backend's `servable` (on Redis inside the one script call)."""

import datetime
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from promotion import budget, campaigns
from promotion.budget import _keys, forget_old_reader_counts, repeat_key
from promotion.clock import budget_day
from promotion.feed_reader import ANONYMOUS, ViewerProfile
from promotion.models import Campaign, CampaignViewerDay
from promotion.serving import choose, forget_serving_index
from promotion.targeting import interests
from tests import factories as f
from tests.promotion.test_campaign_api import UPDATE, gid
from tests.promotion.test_redis_budget import RoundTrips

pytestmark = pytest.mark.django_db


def chosen(profile=ANONYMOUS, wanted=5, now=None) -> set:
    return {p.campaign.pk for p in choose(wanted, now or timezone.now(), random.Random(3), profile)}


def province():
    return f.village().county.province


def campaign(**fields) -> Campaign:
    targets = {name: fields.pop(name) for name in ("target_provinces", "target_categories") if name in fields}
    made = f.campaign(products=[f.product()], **fields)
    for name, chosen_targets in targets.items():
        getattr(made, name).set(chosen_targets)
    return made


# --- Provinces -------------------------------------------------------------------------------


def test_a_province_campaign_reaches_readers_there_only():
    yunnan, guizhou = province(), province()
    aimed = campaign(target_provinces=[yunnan])
    everywhere = campaign()
    assert chosen(ViewerProfile(key="c:1", province_id=yunnan.pk)) == {aimed.pk, everywhere.pk}
    assert chosen(ViewerProfile(key="c:2", province_id=guizhou.pk)) == {everywhere.pk}
    # A reader whose province is unknown is not in any target province.
    assert chosen(ViewerProfile(key="c:3")) == {everywhere.pk}
    assert chosen(ANONYMOUS) == {everywhere.pk}


def test_several_provinces_are_any_of_them():
    yunnan, guizhou, gansu = province(), province(), province()
    aimed = campaign(target_provinces=[yunnan, guizhou])
    assert chosen(ViewerProfile(province_id=guizhou.pk)) == {aimed.pk}
    assert chosen(ViewerProfile(province_id=gansu.pk)) == set()


# --- Interests -------------------------------------------------------------------------------


def test_interests_are_the_strongest_categories_above_a_share_of_the_strongest():
    profile = ViewerProfile(categories={1: 10.0, 2: 3.0, 3: 1.9, 4: 0.0})
    assert interests(profile) == {1, 2}  # 3 is below a fifth of 10; 4 weighs nothing
    six = ViewerProfile(categories={n: 10.0 - n * 0.1 for n in range(1, 7)})
    assert interests(six) == {1, 2, 3, 4, 5}  # the five strongest only
    assert interests(ViewerProfile(categories={1: 10.0}, personal=False)) == frozenset()
    assert interests(ANONYMOUS) == frozenset()


def test_a_category_campaign_reaches_readers_interested_in_it_or_its_subcategories():
    tea = f.category("茶")
    green_tea, fruit = f.category("绿茶", parent=tea), f.category("水果")
    aimed = campaign(target_categories=[tea])
    everywhere = campaign()
    assert chosen(ViewerProfile(categories={green_tea.pk: 4.0})) == {aimed.pk, everywhere.pk}
    assert chosen(ViewerProfile(categories={tea.pk: 1.0, fruit.pk: 2.0})) == {aimed.pk, everywhere.pk}
    # Tea is there, but too weak beside fruit to count as an interest.
    assert chosen(ViewerProfile(categories={fruit.pk: 10.0, green_tea.pk: 0.5})) == {everywhere.pk}
    assert chosen(ViewerProfile(categories={fruit.pk: 10.0})) == {everywhere.pk}
    assert chosen(ANONYMOUS) == {everywhere.pk}


def test_a_subcategory_campaign_does_not_reach_readers_of_the_whole_top_category():
    tea = f.category("茶")
    green_tea = f.category("绿茶", parent=tea)
    aimed = campaign(target_categories=[green_tea])
    assert chosen(ViewerProfile(categories={green_tea.pk: 1.0})) == {aimed.pk}
    assert chosen(ViewerProfile(categories={tea.pk: 1.0})) == set()


def test_provinces_and_categories_together_must_both_hold():
    yunnan, guizhou = province(), province()
    tea = f.category("茶")
    aimed = campaign(target_provinces=[yunnan], target_categories=[tea])
    assert chosen(ViewerProfile(province_id=yunnan.pk, categories={tea.pk: 1.0})) == {aimed.pk}
    assert chosen(ViewerProfile(province_id=guizhou.pk, categories={tea.pk: 1.0})) == set()
    assert chosen(ViewerProfile(province_id=yunnan.pk)) == set()


def test_a_reader_who_turned_personalisation_off_sees_no_targeted_campaign():
    yunnan = province()
    tea = f.category("茶")
    by_province = campaign(target_provinces=[yunnan])
    by_interest = campaign(target_categories=[tea])
    everywhere = campaign()
    reader = ViewerProfile(key="u:1", province_id=yunnan.pk, categories={tea.pk: 5.0})
    assert chosen(reader) == {by_province.pk, by_interest.pk, everywhere.pk}
    off = ViewerProfile(key="u:1", province_id=yunnan.pk, categories={tea.pk: 5.0}, personal=False)
    assert chosen(off) == {everywhere.pk}


def test_targeting_adds_no_query_to_a_request_and_a_change_reaches_the_index(
    on_redis, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.PROMOTION_SERVING_INDEX_SECONDS = 3600
    forget_serving_index()
    yunnan, guizhou = province(), province()
    tea = f.category("茶")
    aimed = campaign(target_provinces=[yunnan], target_categories=[tea])
    reader = ViewerProfile(key="c:1", province_id=yunnan.pk, categories={tea.pk: 1.0})
    assert chosen(reader) == {aimed.pk}  # builds the index
    with django_assert_num_queries(0):
        assert chosen(reader) == {aimed.pk}
        assert chosen(ViewerProfile(key="c:2", province_id=guizhou.pk)) == set()
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.update_campaign(f.staff_user(), aimed, target_provinces=[guizhou])
    assert chosen(reader) == set()
    assert chosen(ViewerProfile(key="c:2", province_id=guizhou.pk, categories={tea.pk: 1.0})) == {aimed.pk}
    forget_serving_index()


# --- Frequency caps --------------------------------------------------------------------------


def test_a_reader_sees_a_capped_campaign_at_most_its_cap_a_day(any_backend):
    capped = campaign(frequency_cap=2, bid=Decimal("2.00"))
    other = campaign()
    now = timezone.now()
    me, you = ViewerProfile(key="c:me"), ViewerProfile(key="u:7")
    seen = [chosen(me, wanted=1, now=now) for _ in range(4)]
    # The capped campaign ranks first until the cap, then the next campaign takes the slot.
    assert seen == [{capped.pk}, {capped.pk}, {other.pk}, {other.pk}]
    assert chosen(you, wanted=1, now=now) == {capped.pk}  # another reader has a count of their own
    assert chosen(me, wanted=1, now=now + datetime.timedelta(days=1)) == {capped.pk}  # a new day


def test_an_uncapped_campaign_is_shown_without_end(any_backend):
    uncapped = campaign()
    me = ViewerProfile(key="c:me")
    assert all(chosen(me, wanted=1) == {uncapped.pk} for _ in range(5))


def test_a_reader_without_a_key_is_shown_no_capped_campaign(any_backend):
    campaign(frequency_cap=5, bid=Decimal("2.00"))
    uncapped = campaign()
    assert chosen(ANONYMOUS) == {uncapped.pk}


def test_on_redis_the_count_is_one_key_per_campaign_day_and_hashed_reader(on_redis):
    capped = campaign(frequency_cap=3)
    now = timezone.now()
    chosen(ViewerProfile(key="c:secret-cookie"), now=now)
    key = _keys(capped.pk, budget_day(now))["reader"] + repeat_key("c:secret-cookie")
    assert int(on_redis.get(key)) == 1
    assert 0 < on_redis.ttl(key) <= budget.FREQUENCY_KEY_TTL
    assert not list(on_redis.scan_iter(match="*secret-cookie*"))  # the key itself is never stored
    # An uncapped campaign keeps no count per reader.
    uncapped = campaign()
    chosen(ViewerProfile(key="c:secret-cookie"), now=now)
    assert not list(on_redis.scan_iter(match=_keys(uncapped.pk, budget_day(now))["reader"] + "*"))


def test_on_the_database_the_count_is_a_row_per_campaign_day_and_hashed_reader(settings):
    settings.PROMOTION_BUDGET_BACKEND = "database"
    capped = campaign(frequency_cap=3)
    now = timezone.now()
    chosen(ViewerProfile(key="c:secret-cookie"), now=now)
    row = CampaignViewerDay.objects.get()
    assert (row.campaign_id, row.day, row.viewer, row.impressions) == (
        capped.pk,
        budget_day(now),
        repeat_key("c:secret-cookie"),
        1,
    )
    # The minute task forgets the counts of days before yesterday.
    assert forget_old_reader_counts(now + datetime.timedelta(days=1)) == 0
    assert forget_old_reader_counts(now + datetime.timedelta(days=2)) == 1
    assert not CampaignViewerDay.objects.exists()


def test_caps_and_targeting_add_no_redis_round_trip_to_the_feed(on_redis, client, monkeypatch, settings):
    """The caps are counted in the budget's one script call, the page's only round trip."""
    settings.FEED_PROMOTED_EVERY = 5
    for _ in range(25):
        f.product()
    for n in range(4):
        campaign(frequency_cap=2, bid=Decimal("0.50") + n)
    campaign(target_categories=[f.category()])
    assert client.get("/feed/").status_code == 200  # loads the script into Redis once, mints the cookie
    trips = RoundTrips(monkeypatch)
    response = client.get("/feed/")
    assert response.status_code == 200 and response.context_data["page"].filled_slots >= 1
    assert trips.count == 1


def test_the_feed_counts_a_reader_by_their_viewer_cookie(on_redis, client, settings):
    settings.FEED_PROMOTED_EVERY = 5
    campaign(frequency_cap=1)
    for _ in range(25):  # newer: the promoted goods are not reached organically on the first page
        f.product()
    first = client.get("/feed/")
    assert first.context_data["page"].filled_slots == 1
    assert first.cookies["shanhuo_viewer"].value  # minted on the first visit, so the cap can count
    assert client.get("/feed/").context_data["page"].filled_slots == 0
    client.cookies.clear()
    assert client.get("/feed/").context_data["page"].filled_slots == 1  # a new browser, a new reader


# --- Setting targets -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, 101, "三", "2.5", True])
def test_a_bad_frequency_cap_is_refused_with_its_code(value):
    operator = f.staff_user()
    aimed = campaign()
    with pytest.raises(Exception) as refused:
        campaigns.update_campaign(operator, aimed, frequency_cap=value)
    assert refused.value.error_dict["frequency_cap"][0].code == "invalid_frequency_cap"
    aimed.refresh_from_db()
    assert aimed.frequency_cap is None


def test_the_service_sets_and_clears_targets():
    operator = f.staff_user()
    yunnan, tea = province(), f.category()
    made = campaigns.create_campaign(
        operator,
        f.sponsor(),
        name="普洱",
        products=[f.product()],
        bid=Decimal("1.00"),
        daily_cap=Decimal("10.00"),
        total_cap=Decimal("100.00"),
        starts_at=timezone.now(),
        target_provinces=[yunnan],
        target_categories=[tea],
        frequency_cap="3",
    )
    assert (list(made.target_provinces.all()), list(made.target_categories.all()), made.frequency_cap) == (
        [yunnan],
        [tea],
        3,
    )
    campaigns.update_campaign(operator, made, target_provinces=[], frequency_cap=None)
    made.refresh_from_db()
    assert (list(made.target_provinces.all()), list(made.target_categories.all()), made.frequency_cap) == (
        [],
        [tea],
        None,
    )


TARGETS = "targetProvinces { name } targetCategories { name } frequencyCap"
UPDATE_TARGETS = UPDATE.replace("errors {", f"targeting: campaign {{ {TARGETS} }} errors {{")


def test_graphql_sets_targets_and_refuses_bad_ones_with_codes(gql):
    staff_member = f.user()
    aimed = f.campaign(f.sponsor(staff=[staff_member]), products=[f.product()])
    yunnan, tea = province(), f.category("茶")
    gql.client.force_login(staff_member)
    result = gql(
        UPDATE_TARGETS,
        {
            "id": gid(aimed),
            "input": {"targetProvinces": [gid(yunnan)], "targetCategories": [gid(tea)], "frequencyCap": 3},
        },
    )["data"]["campaignUpdate"]
    assert result["errors"] == []
    assert result["targeting"] == {
        "targetProvinces": [{"name": yunnan.name}],
        "targetCategories": [{"name": "茶"}],
        "frequencyCap": 3,
    }

    refused = gql(UPDATE_TARGETS, {"id": gid(aimed), "input": {"frequencyCap": 0}})["data"]["campaignUpdate"]
    assert refused["errors"][0]["code"] == "INVALID_FREQUENCY_CAP"
    assert refused["errors"][0]["field"] == "frequencyCap"
    missing = gql(
        UPDATE_TARGETS, {"id": gid(aimed), "input": {"targetProvinces": [gid(yunnan), "UHJvdmluY2U6OTk5OTk="]}}
    )["data"]["campaignUpdate"]
    assert missing["errors"][0]["code"] == "NOT_FOUND" and missing["errors"][0]["field"] == "targetProvinces"
    aimed.refresh_from_db()
    assert aimed.frequency_cap == 3 and list(aimed.target_provinces.all()) == [yunnan]


def test_the_sponsor_page_sets_targets_and_shows_errors_beside_the_field(client):
    staff_member = f.user()
    aimed = f.campaign(f.sponsor(staff=[staff_member]), products=[f.product()])
    yunnan, tea = province(), f.category("茶")
    url = reverse("sponsor:targeting", args=[aimed.pk])
    client.force_login(staff_member)
    assert client.get(url).status_code == 200

    client.cookies["django_language"] = "zh-hans"
    bad = client.post(url, {"target_provinces": [yunnan.pk], "frequency_cap": "三次"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["frequency_cap"] == ["写一个次数，像 3 这样；不限就空着。"]
    aimed.refresh_from_db()
    assert aimed.frequency_cap is None and not aimed.target_provinces.exists()  # nothing saved

    saved = client.post(url, {"target_provinces": [yunnan.pk], "target_categories": [tea.pk], "frequency_cap": "3"})
    assert saved.status_code == 302
    aimed.refresh_from_db()
    assert aimed.frequency_cap == 3 and list(aimed.target_provinces.all()) == [yunnan]
    assert list(aimed.target_categories.all()) == [tea]
    page = client.get(reverse("sponsor:campaign", args=[aimed.pk])).content.decode()
    assert yunnan.name in page and "茶" in page


def test_another_sponsors_staff_cannot_see_or_change_the_targets(client):
    aimed = f.campaign(f.sponsor(staff=[f.user()]), products=[f.product()])
    outsider = f.user()
    f.sponsor(staff=[outsider])
    client.force_login(outsider)
    url = reverse("sponsor:targeting", args=[aimed.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"frequency_cap": "1"}).status_code == 404
    aimed.refresh_from_db()
    assert aimed.frequency_cap is None


def test_the_admin_sets_targets_with_the_same_rules(client):
    operator = f.user(is_staff=True, is_superuser=True)
    client.force_login(operator)
    aimed = campaign()
    yunnan = province()
    url = reverse("admin:promotion_campaign_change", args=[aimed.pk])
    form = {
        "sponsor": aimed.sponsor_id,
        "name": aimed.name,
        "products": [p.pk for p in aimed.products.all()],
        "bid": "1.00",
        "daily_cap": "100.00",
        "total_cap": "1000.00",
        "starts_at_0": aimed.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": aimed.starts_at.strftime("%H:%M:%S"),
        "target_provinces": [yunnan.pk],
        "frequency_cap": "101",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "frequency_cap" in refused.context["adminform"].form.errors
    form["frequency_cap"] = "4"
    assert client.post(url, form).status_code == 302
    aimed.refresh_from_db()
    assert aimed.frequency_cap == 4 and list(aimed.target_provinces.all()) == [yunnan]
