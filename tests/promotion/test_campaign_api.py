"""Campaigns over GraphQL: who sees and changes them, every refusal (coded, nothing written), the
states, and the figures per campaign."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql_relay import to_global_id

from farmers.models import VerificationState
from promotion import campaigns as services
from promotion import permissions
from promotion.clicks import record_click
from promotion.models import Campaign, CampaignState, Sponsor
from promotion.tokens import issue
from tests import factories as f

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"

CAMPAIGN_FIELDS = """
    id name state bid dailyCap totalCap startsAt endsAt servingRate
    sponsor { name kind }
    products { id name }
    farmer { name }
    village { name }
    stats { impressions clicks billableClicks spend orders revenue farmerIncome }
"""
CAMPAIGNS = f"""query($state: CampaignState) {{
  campaigns(first: 50, state: $state) {{ totalCount edges {{ node {{ {CAMPAIGN_FIELDS} }} }} }}
}}"""
CAMPAIGN = f"query($id: ID!) {{ campaign(id: $id) {{ {CAMPAIGN_FIELDS} }} }}"
CREATE = f"""mutation($input: CampaignCreateInput!) {{
  campaignCreate(input: $input) {{ campaign {{ {CAMPAIGN_FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE = f"""mutation($id: ID!, $input: CampaignUpdateInput!) {{
  campaignUpdate(id: $id, input: $input) {{ campaign {{ {CAMPAIGN_FIELDS} }} errors {{ field code message }} }}
}}"""
TRANSITION = """mutation($id: ID!) {{
  {name}(id: $id) {{ campaign {{ state }} errors {{ field code message }} }}
}}"""
SPONSOR_CREATE = """mutation($input: SponsorCreateInput!) {
  sponsorCreate(input: $input) { sponsor { id name kind } errors { field code message } }
}"""


def gid(obj) -> str:
    return to_global_id(type(obj).__name__, obj.pk)


@pytest.fixture
def world():
    """Two sponsors with one staff member each, an operator, an NGO worker, a farmer."""
    alice, bob = f.user(), f.user()
    sponsor_a, sponsor_b = f.sponsor(staff=[alice], name="甲公司"), f.sponsor(staff=[bob], name="乙公司")
    product = f.product()
    ngo_user = f.user()
    f.ngo(villages=[product.village], staff=[ngo_user])
    campaign_a = f.campaign(sponsor_a, products=[product], name="甲的推广")
    campaign_b = f.campaign(sponsor_b, products=[product], name="乙的推广")
    return {
        "alice": alice,
        "bob": bob,
        "operator": f.staff_user(),
        "ngo_user": ngo_user,
        "farmer_user": product.farmer.user,
        "sponsor_a": sponsor_a,
        "sponsor_b": sponsor_b,
        "product": product,
        "campaign_a": campaign_a,
        "campaign_b": campaign_b,
    }


def valid_input(world, **overrides):
    now = timezone.now()
    data = {
        "sponsor": gid(world["sponsor_a"]),
        "name": "春茶推广",
        "products": [gid(world["product"])],
        "bid": "0.50",
        "dailyCap": "20.00",
        "totalCap": "200.00",
        "startsAt": now.isoformat(),
        "endsAt": (now + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def snapshot():
    return sorted(Campaign.objects.values_list("pk", "name", "state", "bid", "daily_cap", "total_cap", "ends_at"))


def names(result) -> set[str]:
    return {edge["node"]["name"] for edge in result["data"]["campaigns"]["edges"]}


# --- Who sees --------------------------------------------------------------------------------


def test_sponsor_staff_see_their_own_campaigns_and_operators_see_all(gql, world):
    assert names(gql.login(world["alice"])(CAMPAIGNS)) == {"甲的推广"}
    assert names(gql.login(world["bob"])(CAMPAIGNS)) == {"乙的推广"}
    assert names(gql.login(world["operator"])(CAMPAIGNS)) == {"甲的推广", "乙的推广"}


@pytest.mark.parametrize("who", ["anonymous", "ngo_user", "farmer_user"])
def test_others_see_no_campaign_and_no_sponsor(gql, world, who):
    if who != "anonymous":
        gql.login(world[who])
    listed = gql(CAMPAIGNS)
    assert listed["data"]["campaigns"] == {"totalCount": 0, "edges": []}
    one = gql(CAMPAIGN, {"id": gid(world["campaign_a"])})
    assert one["data"]["campaign"] is None
    assert one["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gql("{ sponsors { name } }")["data"]["sponsors"] == []
    node = gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid(world["campaign_a"])})
    assert node["data"]["node"] is None


def test_staff_of_another_sponsor_cannot_read_a_campaign_by_id(gql, world):
    result = gql.login(world["bob"])(CAMPAIGN, {"id": gid(world["campaign_a"])})
    assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    assert gql(CAMPAIGN, {"id": gid(world["campaign_b"])})["data"]["campaign"]["name"] == "乙的推广"


def test_sponsors_lists_the_viewers_sponsors(gql, world):
    assert gql.login(world["alice"])("{ sponsors { name kind } }")["data"]["sponsors"] == [
        {"name": "甲公司", "kind": "COMPANY"}
    ]
    operator_sees = gql.login(world["operator"])("{ sponsors { name } }")["data"]["sponsors"]
    assert sorted(s["name"] for s in operator_sees) == sorted(["甲公司", "乙公司"])


def test_campaigns_filter_by_state(gql, world):
    services.pause_campaign(world["operator"], world["campaign_b"])
    result = gql.login(world["operator"])(CAMPAIGNS, {"state": "PAUSED"})
    assert names(result) == {"乙的推广"}


def test_permission_helpers(world):
    campaign = world["campaign_a"]
    assert permissions.can_manage_campaign(world["alice"], campaign)
    assert permissions.can_manage_campaign(world["operator"], campaign)
    for who in ("bob", "ngo_user", "farmer_user"):
        assert not permissions.can_manage_campaign(world[who], campaign)
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.can_manage_campaign(AnonymousUser(), campaign)
    world["alice"].is_active = False
    assert not permissions.can_manage_campaign(world["alice"], campaign)


# --- Who changes -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "ngo_user", "farmer_user"])
@pytest.mark.parametrize(
    "mutation, variables",
    [
        ("campaignUpdate", {"input": {"name": "改名", "totalCap": "5000.00"}}),
        ("campaignActivate", {}),
        ("campaignPause", {}),
        ("campaignEnd", {}),
    ],
)
def test_outsiders_cannot_change_a_campaign(gql, world, who, mutation, variables):
    before = snapshot()
    query = UPDATE if mutation == "campaignUpdate" else TRANSITION.format(name=mutation)
    result = gql.login(world[who])(query, {"id": gid(world["campaign_a"]), **variables})
    errors = result["data"][mutation]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("id", "NOT_FOUND")]
    assert snapshot() == before


def test_anonymous_cannot_call_any_campaign_mutation(gql, world):
    before = snapshot()
    for name in ("campaignActivate", "campaignPause", "campaignEnd"):
        result = gql(TRANSITION.format(name=name), {"id": gid(world["campaign_a"])})
        assert result["data"][name]["errors"][0]["code"] == "PERMISSION_DENIED"
    result = gql(CREATE, {"input": valid_input(world)})
    assert result["data"]["campaignCreate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert snapshot() == before


def test_staff_of_another_sponsor_cannot_create_for_it(gql, world):
    before = snapshot()
    result = gql.login(world["bob"])(CREATE, {"input": valid_input(world)})
    assert result["data"]["campaignCreate"]["errors"][0]["field"] == "sponsor"
    assert result["data"]["campaignCreate"]["errors"][0]["code"] == "NOT_FOUND"
    assert snapshot() == before


def test_the_service_refuses_an_outsider_even_with_the_object_in_hand(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.update_campaign(world["bob"], world["campaign_a"], name="x")
    with pytest.raises(PermissionDenied):
        services.create_campaign(world["ngo_user"], world["sponsor_a"], **service_fields(world))
    with pytest.raises(PermissionDenied):
        services.end_campaign(world["farmer_user"], world["campaign_a"])
    world["campaign_a"].refresh_from_db()
    assert (world["campaign_a"].name, world["campaign_a"].state) == ("甲的推广", CampaignState.ACTIVE)


@pytest.mark.parametrize("who", ["alice", "operator"])
def test_sponsor_staff_and_operators_create_a_draft(gql, world, who):
    result = gql.login(world[who])(CREATE, {"input": valid_input(world)})
    payload = result["data"]["campaignCreate"]
    assert payload["errors"] == []
    campaign = payload["campaign"]
    assert (campaign["state"], campaign["bid"], campaign["dailyCap"], campaign["totalCap"]) == (
        "DRAFT",
        "0.50",
        "20.00",
        "200.00",
    )
    assert campaign["sponsor"]["name"] == "甲公司"
    assert [p["name"] for p in campaign["products"]] == [world["product"].name]
    saved = Campaign.objects.get(name="春茶推广")
    assert saved.bid == Decimal("0.50") and saved.created_by == world[who]
    assert list(saved.products.all()) == [world["product"]]


def test_create_for_a_farmer_or_a_village(gql, world):
    gql.login(world["alice"])
    farmer = world["product"].farmer
    by_farmer = gql(CREATE, {"input": valid_input(world, products=[], farmer=gid(farmer), name="农户")})
    assert by_farmer["data"]["campaignCreate"]["campaign"]["farmer"]["name"] == farmer.name
    village = world["product"].village
    by_village = gql(CREATE, {"input": valid_input(world, products=None, village=gid(village), name="村")})
    assert by_village["data"]["campaignCreate"]["campaign"]["village"]["name"] == village.name
    assert Campaign.objects.get(name="村").village == village


def test_a_bid_sent_as_a_json_number_is_read_exactly(gql, world):
    result = gql.login(world["alice"])(CREATE, {"input": valid_input(world, bid=0.1, dailyCap=19.99)})
    assert result["data"]["campaignCreate"]["errors"] == []
    saved = Campaign.objects.get(name="春茶推广")
    assert (saved.bid, saved.daily_cap) == (Decimal("0.10"), Decimal("19.99"))


# --- Every refusal ---------------------------------------------------------------------------


def past(**delta) -> str:
    return (timezone.now() - datetime.timedelta(**delta)).isoformat()


def future(**delta) -> str:
    return (timezone.now() + datetime.timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"name": "   "}, "name", "REQUIRED"),
        ({"name": "名" * 121}, "name", "MAX_LENGTH"),
        ({"bid": "0"}, "bid", "INVALID_AMOUNT"),
        ({"bid": "-1.00"}, "bid", "INVALID_AMOUNT"),
        ({"bid": "0.001"}, "bid", "INVALID_AMOUNT"),
        ({"bid": "0.505"}, "bid", "INVALID_AMOUNT"),
        ({"bid": "1000000.00", "dailyCap": "2000000", "totalCap": "3000000"}, "bid", "INVALID_AMOUNT"),
        ({"dailyCap": "0"}, "dailyCap", "INVALID_AMOUNT"),
        ({"dailyCap": "20.001"}, "dailyCap", "INVALID_AMOUNT"),
        ({"totalCap": "-5"}, "totalCap", "INVALID_AMOUNT"),
        ({"totalCap": "1e12"}, "totalCap", "INVALID_AMOUNT"),
        ({"dailyCap": "0.49"}, "dailyCap", "CAP_TOO_LOW"),
        ({"totalCap": "19.99"}, "totalCap", "CAP_TOO_LOW"),
        ({"startsAt": future(days=2), "endsAt": future(days=1)}, "endsAt", "INVALID_SCHEDULE"),
        ({"endsAt": None, "startsAt": future(days=1)}, None, None),  # no end is fine
        ({"startsAt": past(days=3), "endsAt": past(days=1)}, "endsAt", "INVALID_SCHEDULE"),
        ({"products": []}, "products", "NOTHING_PROMOTED"),
        ({"products": ["not-an-id"]}, "products", "INVALID"),
        ({"products": [to_global_id("Product", 999999)]}, "products", "NOT_FOUND"),
        ({"farmer": to_global_id("Farmer", 999999)}, "farmer", "NOT_FOUND"),
        ({"sponsor": to_global_id("Sponsor", 999999)}, "sponsor", "NOT_FOUND"),
    ],
)
def test_create_refusals_name_the_field_and_write_nothing(gql, world, overrides, field, code):
    before = snapshot()
    result = gql.login(world["alice"])(CREATE, {"input": valid_input(world, **overrides)})
    errors = result["data"]["campaignCreate"]["errors"]
    if code is None:
        assert errors == []
        return
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    assert errors[0]["message"]
    assert result["data"]["campaignCreate"]["campaign"] is None
    assert snapshot() == before


def test_unpublished_goods_and_unverified_farmers_cannot_be_promoted(gql, world):
    before = snapshot()
    gql.login(world["alice"])
    draft = f.product(published=False)
    result = gql(CREATE, {"input": valid_input(world, products=[gid(world["product"]), gid(draft)])})
    assert [(e["field"], e["code"]) for e in result["data"]["campaignCreate"]["errors"]] == [
        ("products", "PRODUCT_UNAVAILABLE")
    ]
    pending = f.farmer(state=VerificationState.PENDING)
    result = gql(CREATE, {"input": valid_input(world, products=[], farmer=gid(pending))})
    assert [(e["field"], e["code"]) for e in result["data"]["campaignCreate"]["errors"]] == [("farmer", "INVALID")]
    assert snapshot() == before


def service_fields(world, **overrides):
    now = timezone.now()
    fields = {
        "name": "服务",
        "products": [world["product"]],
        "bid": Decimal("0.50"),
        "daily_cap": Decimal("20.00"),
        "total_cap": Decimal("200.00"),
        "starts_at": now,
    }
    fields.update(overrides)
    return fields


def test_the_service_refuses_floats_and_missing_fields(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.create_campaign(world["alice"], world["sponsor_a"], **service_fields(world, bid=0.5))
    assert refused.value.error_dict["bid"][0].code == "invalid_amount"
    fields = service_fields(world)
    del fields["starts_at"]
    with pytest.raises(ValidationError) as refused:
        services.create_campaign(world["alice"], world["sponsor_a"], **fields)
    assert refused.value.error_dict["starts_at"][0].code == "required"
    with pytest.raises(ValueError):
        services.update_campaign(world["alice"], world["campaign_a"], state="active")
    assert not Campaign.objects.filter(name="服务").exists()


@pytest.mark.parametrize(
    "changes, field, code",
    [
        ({"bid": "0.00"}, "bid", "INVALID_AMOUNT"),
        ({"bid": "150.00"}, "dailyCap", "CAP_TOO_LOW"),  # the daily cap of 100 cannot pay a click
        ({"dailyCap": "1000.01"}, "totalCap", "CAP_TOO_LOW"),
        ({"endsAt": past(minutes=5)}, "endsAt", "INVALID_SCHEDULE"),
        ({"startsAt": future(days=3), "endsAt": future(days=2)}, "endsAt", "INVALID_SCHEDULE"),
        ({"products": []}, "products", "NOTHING_PROMOTED"),
        ({"name": None}, "name", "REQUIRED"),
        ({"startsAt": None}, "startsAt", "REQUIRED"),
    ],
)
def test_update_refusals_change_nothing(gql, world, changes, field, code):
    before = snapshot()
    result = gql.login(world["alice"])(UPDATE, {"id": gid(world["campaign_a"]), "input": {"name": "新名字", **changes}})
    errors = result["data"]["campaignUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    assert snapshot() == before
    assert list(world["campaign_a"].products.all()) == [world["product"]]


def test_update_changes_only_the_fields_given_and_clears_an_explicit_null(gql, world):
    campaign = world["campaign_a"]
    campaign.ends_at = timezone.now() + datetime.timedelta(days=5)
    campaign.save()
    other = f.product()
    result = gql.login(world["alice"])(
        UPDATE,
        {
            "id": gid(campaign),
            "input": {"bid": "2.50", "endsAt": None, "products": [gid(other), gid(world["product"])]},
        },
    )
    assert result["data"]["campaignUpdate"]["errors"] == []
    campaign.refresh_from_db()
    assert (campaign.name, campaign.bid, campaign.ends_at, campaign.daily_cap) == (
        "甲的推广",
        Decimal("2.50"),
        None,
        Decimal("100.00"),
    )
    assert set(campaign.products.all()) == {other, world["product"]}


def spend(campaign, clicks: int):
    """Billed clicks through the real click path, each by a different shopper."""
    now = timezone.now()
    results = [
        record_click(issue(campaign.pk, campaign.products.get().pk, now), viewer_key=f"v-{n}", user_agent=BROWSER)
        for n in range(clicks)
    ]
    assert all(r.click.billable for r in results)


def test_the_total_cap_cannot_go_below_what_was_spent(gql, world):
    campaign = world["campaign_a"]
    spend(campaign, 3)  # 3.00 yuan
    gql.login(world["alice"])
    before = snapshot()
    result = gql(UPDATE, {"id": gid(campaign), "input": {"totalCap": "2.99", "dailyCap": "2.00"}})
    errors = result["data"]["campaignUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("totalCap", "BELOW_SPENT")]
    assert "3.00" in errors[0]["message"]
    assert snapshot() == before
    # Down to exactly what was spent: allowed, and nothing more can be paid, so it is exhausted.
    result = gql(UPDATE, {"id": gid(campaign), "input": {"totalCap": "3.00", "dailyCap": "2.00"}})
    assert result["data"]["campaignUpdate"]["errors"] == []
    assert result["data"]["campaignUpdate"]["campaign"]["state"] == "EXHAUSTED"


def test_the_ledger_counts_even_when_the_counter_lags(gql, world):
    """On the Redis path the database counter is written back by the reconcile task: the ledger
    alone must be enough to refuse."""
    campaign = world["campaign_a"]
    spend(campaign, 2)
    Campaign.objects.filter(pk=campaign.pk).update(spent_fen=0)
    result = gql.login(world["alice"])(UPDATE, {"id": gid(campaign), "input": {"totalCap": "1.50", "dailyCap": "1.00"}})
    assert [(e["field"], e["code"]) for e in result["data"]["campaignUpdate"]["errors"]] == [
        ("totalCap", "BELOW_SPENT")
    ]


def test_raising_the_cap_of_an_exhausted_campaign_pauses_it(gql, world):
    campaign = f.campaign(
        world["sponsor_a"], products=[world["product"]], total_cap=Decimal("2.00"), daily_cap=Decimal("2.00")
    )
    spend(campaign, 2)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.EXHAUSTED
    gql.login(world["alice"])
    refused = gql(TRANSITION.format(name="campaignActivate"), {"id": gid(campaign)})
    assert refused["data"]["campaignActivate"]["errors"][0]["code"] == "INVALID_TRANSITION"
    raised = gql(UPDATE, {"id": gid(campaign), "input": {"totalCap": "10.00"}})
    assert raised["data"]["campaignUpdate"]["campaign"]["state"] == "PAUSED"
    activated = gql(TRANSITION.format(name="campaignActivate"), {"id": gid(campaign)})
    assert activated["data"]["campaignActivate"]["campaign"]["state"] == "ACTIVE"


def test_an_ended_campaign_cannot_be_changed(gql, world):
    campaign = world["campaign_a"]
    services.end_campaign(world["alice"], campaign)
    before = snapshot()
    result = gql.login(world["alice"])(UPDATE, {"id": gid(campaign), "input": {"name": "复活"}})
    assert [(e["field"], e["code"]) for e in result["data"]["campaignUpdate"]["errors"]] == [(None, "CAMPAIGN_ENDED")]
    assert snapshot() == before


# --- States ----------------------------------------------------------------------------------

ALLOWED = [
    (CampaignState.DRAFT, "campaignActivate", "ACTIVE"),
    (CampaignState.PAUSED, "campaignActivate", "ACTIVE"),
    (CampaignState.ACTIVE, "campaignActivate", "ACTIVE"),
    (CampaignState.ACTIVE, "campaignPause", "PAUSED"),
    (CampaignState.PAUSED, "campaignPause", "PAUSED"),
    (CampaignState.DRAFT, "campaignEnd", "ENDED"),
    (CampaignState.ACTIVE, "campaignEnd", "ENDED"),
    (CampaignState.PAUSED, "campaignEnd", "ENDED"),
    (CampaignState.EXHAUSTED, "campaignEnd", "ENDED"),
    (CampaignState.ENDED, "campaignEnd", "ENDED"),
]
REFUSED = [
    (CampaignState.ENDED, "campaignActivate"),
    (CampaignState.EXHAUSTED, "campaignActivate"),
    (CampaignState.DRAFT, "campaignPause"),
    (CampaignState.EXHAUSTED, "campaignPause"),
    (CampaignState.ENDED, "campaignPause"),
]


@pytest.mark.parametrize("start, mutation, expected", ALLOWED)
def test_allowed_transitions(gql, world, start, mutation, expected):
    campaign = f.campaign(world["sponsor_a"], products=[world["product"]], state=start)
    result = gql.login(world["alice"])(TRANSITION.format(name=mutation), {"id": gid(campaign)})
    assert result["data"][mutation] == {"campaign": {"state": expected}, "errors": []}
    campaign.refresh_from_db()
    assert campaign.state == expected.lower()


@pytest.mark.parametrize("start, mutation", REFUSED)
def test_refused_transitions(gql, world, start, mutation):
    campaign = f.campaign(world["sponsor_a"], products=[world["product"]], state=start)
    result = gql.login(world["operator"])(TRANSITION.format(name=mutation), {"id": gid(campaign)})
    assert [e["code"] for e in result["data"][mutation]["errors"]] == ["INVALID_TRANSITION"]
    campaign.refresh_from_db()
    assert campaign.state == start


def test_a_campaign_past_its_end_cannot_be_activated(gql, world):
    now = timezone.now()
    campaign = f.campaign(
        world["sponsor_a"],
        products=[world["product"]],
        state=CampaignState.PAUSED,
        starts_at=now - datetime.timedelta(days=3),
        ends_at=now - datetime.timedelta(days=1),
    )
    result = gql.login(world["alice"])(TRANSITION.format(name="campaignActivate"), {"id": gid(campaign)})
    assert [e["code"] for e in result["data"]["campaignActivate"]["errors"]] == ["INVALID_TRANSITION"]
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.PAUSED


def test_a_campaign_that_starts_later_may_be_activated_now(world):
    campaign = f.campaign(
        world["sponsor_a"],
        products=[world["product"]],
        state=CampaignState.DRAFT,
        starts_at=timezone.now() + datetime.timedelta(days=1),
    )
    assert services.activate_campaign(world["alice"], campaign).state == CampaignState.ACTIVE


# --- Sponsors --------------------------------------------------------------------------------


def test_only_operators_create_sponsors(gql, world):
    result = gql.login(world["alice"])(SPONSOR_CREATE, {"input": {"name": "丙基金会", "kind": "NGO"}})
    assert result["data"]["sponsorCreate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert not Sponsor.objects.filter(name="丙基金会").exists()
    result = gql.login(world["operator"])(
        SPONSOR_CREATE, {"input": {"name": "丙基金会", "kind": "NGO", "staff": [world["alice"].username]}}
    )
    assert result["data"]["sponsorCreate"]["errors"] == []
    assert result["data"]["sponsorCreate"]["sponsor"]["kind"] == "NGO"
    made = Sponsor.objects.get(name="丙基金会")
    assert list(made.staff.all()) == [world["alice"]]


@pytest.mark.parametrize(
    "data, field, code",
    [
        ({"name": "甲公司"}, "name", "UNIQUE"),
        ({"name": " "}, "name", "REQUIRED"),
        ({"name": "新", "staff": ["nobody-by-this-name"]}, "staff", "NOT_FOUND"),
    ],
)
def test_sponsor_refusals(gql, world, data, field, code):
    count = Sponsor.objects.count()
    result = gql.login(world["operator"])(SPONSOR_CREATE, {"input": data})
    assert [(e["field"], e["code"]) for e in result["data"]["sponsorCreate"]["errors"]] == [(field, code)]
    assert Sponsor.objects.count() == count


# --- Figures ---------------------------------------------------------------------------------


def test_stats_count_clicks_spend_orders_revenue_and_farmer_income(gql, world):
    from payments.ledger import owed_to
    from payments.shopper_payments import confirm_offline_payment
    from promotion.budget import get_budget
    from promotion.feed import build_page
    from tests.shop.buying import place_order

    for running in ("campaign_a", "campaign_b"):
        services.end_campaign(world["operator"], world[running])
    product = f.product()
    campaign = f.campaign(world["sponsor_b"], products=[product])
    for _newer in range(5):
        f.product()  # the first page's organic goods, so the promoted one is not among them
    now = timezone.now()
    page = build_page(5, now=now)  # one promoted slot, and one campaign to fill it: an impression
    assert [e.item for e in page.entries if e.promoted] == [product]
    get_budget().reconcile(campaign, now)  # impressions counted in Redis reach the database

    buyer = f.user()
    billed = record_click(issue(campaign.pk, product.pk, now), viewer_key="shopper", user=buyer, user_agent=BROWSER)
    repeat = record_click(issue(campaign.pk, product.pk, now), viewer_key="shopper", user=buyer, user_agent=BROWSER)
    bot = record_click(issue(campaign.pk, product.pk, now), viewer_key="crawler", user_agent="Googlebot/2.1")
    other = record_click(issue(campaign.pk, product.pk, now), viewer_key="someone", user_agent=BROWSER)
    outcomes = [billed.click.outcome, repeat.click.outcome, bot.click.outcome, other.click.outcome]
    assert outcomes == ["billed", "repeat", "bot", "billed"]
    order = place_order([(product.variants.get(), 2)], user=buyer)
    confirm_offline_payment(world["operator"], order.payment)

    stats = gql.login(world["bob"])(CAMPAIGN, {"id": gid(campaign)})["data"]["campaign"]["stats"]
    assert stats == {
        "impressions": 1,
        "clicks": 4,
        "billableClicks": 2,
        "spend": "2.00",
        "orders": 1,
        "revenue": str(order.subtotal),  # the goods, without shipping
        # The goods less their platform fee: what the farmer is owed, less the parcel's shipping.
        "farmerIncome": str(owed_to(product.farmer) - order.shipping_total),
    }
    assert Decimal(stats["farmerIncome"]) > 0
    listed = gql.login(world["operator"])(CAMPAIGNS)["data"]["campaigns"]["edges"]
    by_name = {edge["node"]["name"]: edge["node"]["stats"] for edge in listed}
    assert by_name[campaign.name] == stats
    assert (by_name["甲的推广"]["clicks"], by_name["甲的推广"]["orders"], by_name["甲的推广"]["spend"]) == (
        0,
        0,
        "0.00",
    )


def test_a_list_of_campaigns_costs_the_same_queries_whatever_its_length(gql, world):
    gql.login(world["operator"])

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            result = gql(CAMPAIGNS)
        assert "errors" not in result
        return len(captured), len(result["data"]["campaigns"]["edges"])

    few, listed = count_queries()
    for _n in range(8):
        f.campaign(
            world["sponsor_a"], products=[f.product(), world["product"]], farmer_=f.farmer(), village_=f.village()
        )
    many, listed_after = count_queries()
    assert listed_after == listed + 8
    assert many == few
