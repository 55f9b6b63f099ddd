"""GraphQL `myEarnings` and `payouts`: the figures of the statement, and who sees which payouts
(operators all; a farmer their own; a cooperative manager the cooperative's; NGO staff those in
the villages they cover; shoppers and strangers none)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from payments import payouts, shopper_payments
from shop.models import Fulfilment, FulfilmentStatus
from tests import factories as f
from tests.shop.buying import place_order, variant
from tests.shop.test_earnings import known_case  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

MY_EARNINGS = """query($seller: ID, $since: Date, $until: Date) {
  myEarnings(sellerId: $seller, since: $since, until: $until) {
    sellerName isCooperative payable due waiting onTheWay paidOut
    totals { orders goods shipping platformFee refunded earned }
    recentOrders(first: 2) { orderNumber status totals { earned refunded } }
    payouts { status amount method reference createdAt paidAt sellerName villageName }
    members { name totals { earned } }
  } }"""

PAYOUTS = """query($status: PayoutStatus) { payouts(first: 50, status: $status) {
  totalCount edges { node { id sellerName isCooperative villageName amount status reference } } } }"""


def test_my_earnings_gives_the_statement(gql, known_case):  # noqa: F811
    farmer, (_o1, order2, order3), _payouts = known_case
    data = gql.login(farmer.user)(MY_EARNINGS)["data"]["myEarnings"]
    assert {key: data[key] for key in ("payable", "due", "waiting", "onTheWay", "paidOut")} == {
        "payable": "142.10",
        "due": "85.60",
        "waiting": "56.50",
        "onTheWay": "0.00",
        "paidOut": "66.20",
    }
    assert data["totals"] == {
        "orders": 3,
        "goods": "230.00",
        "shipping": "24.00",
        "platformFee": "5.70",
        "refunded": "40.00",
        "earned": "208.30",
    }
    assert [row["orderNumber"] for row in data["recentOrders"]] == [order3.number, order2.number]
    assert [(p["status"], p["amount"], p["reference"]) for p in data["payouts"]] == [
        ("FAILED", "85.60", ""),
        ("PAID", "66.20", "BANK-0001"),
    ]
    assert data["sellerName"] == farmer.name and data["isCooperative"] is False and data["members"] == []


def test_my_earnings_for_a_period_and_bad_arguments(gql, known_case):  # noqa: F811
    farmer, _orders, _payouts = known_case
    gql.login(farmer.user)
    data = gql(MY_EARNINGS, {"since": "2000-01-01", "until": "2000-12-31"})["data"]["myEarnings"]
    assert data["totals"]["orders"] == 0 and data["recentOrders"] == [] and data["payable"] == "142.10"
    errors = gql(MY_EARNINGS, {"since": "2001-01-01", "until": "2000-12-31"})["errors"]
    assert errors[0]["extensions"]["code"] == "INVALID"
    errors = gql(MY_EARNINGS, {"seller": to_global_id("Product", 1)})["errors"]
    assert errors[0]["extensions"]["code"] == "INVALID_ID"


def test_only_sellers_one_acts_for(gql, known_case):  # noqa: F811
    farmer, _orders, _payouts = known_case
    other = f.farmer()
    gql.login(other.user)
    assert gql(MY_EARNINGS)["data"]["myEarnings"]["payable"] == "0.00"
    result = gql(MY_EARNINGS, {"seller": to_global_id("Farmer", farmer.pk)})
    assert result["data"]["myEarnings"] is None
    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"

    gql.login(f.user())  # a shopper
    assert gql(MY_EARNINGS)["data"]["myEarnings"] is None
    gql.client.logout()
    assert gql(MY_EARNINGS)["data"]["myEarnings"] is None


@pytest.fixture
def payouts_everywhere(settings):
    """A farmer of village A, a cooperative of village B with a member, a farmer of village C;
    each paid once."""
    settings.PAYOUT_MINIMUM = "1.00"
    village_a, village_b, village_c = f.village(), f.village(), f.village()
    farmer_a = f.farmer(village_=village_a)
    manager = f.user()
    coop = f.cooperative(village_=village_b, manager=manager)
    member = f.farmer(village_=village_b, cooperative=coop)
    farmer_c = f.farmer(village_=village_c)
    items = [variant(price="10.00", weight_kg="0.5", seller=seller) for seller in (farmer_a, coop, member, farmer_c)]
    order = place_order([(item, 1) for item in items])
    shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)
    Fulfilment.objects.filter(order=order).update(
        status=FulfilmentStatus.DELIVERED, delivered_at=timezone.now() - timedelta(days=30)
    )
    made = {p.seller: p for p in payouts.run()}
    assert len(made) == 4
    return {
        "farmer_a": farmer_a,
        "manager": manager,
        "coop": coop,
        "member": member,
        "farmer_c": farmer_c,
        "villages": (village_a, village_b, village_c),
        "payouts": made,
    }


def seen(gql, user=None, **variables):
    if user is not None:
        gql.login(user)
    data = gql(PAYOUTS, variables)["data"]["payouts"]
    assert data["totalCount"] == len(data["edges"])
    return {edge["node"]["sellerName"] for edge in data["edges"]}


def test_payouts_visibility_for_each_role(gql, payouts_everywhere):
    p = payouts_everywhere
    names = {key: p[key].name for key in ("farmer_a", "coop", "member", "farmer_c")}
    assert seen(gql, f.staff_user()) == set(names.values())
    assert seen(gql, p["farmer_a"].user) == {names["farmer_a"]}
    assert seen(gql, p["member"].user) == {names["member"]}
    assert seen(gql, p["manager"]) == {names["coop"]}
    village_a, village_b, _village_c = p["villages"]
    officer = f.user()
    f.ngo(villages=[village_a, village_b], staff=[officer])
    assert seen(gql, officer) == {names["farmer_a"], names["coop"], names["member"]}
    assert seen(gql, f.user()) == set()
    gql.client.logout()
    assert seen(gql) == set()


def test_a_payout_node_follows_the_same_rules_and_names_no_phone(gql, payouts_everywhere):
    p = payouts_everywhere
    payout = p["payouts"][p["farmer_a"]]
    query = """query($id: ID!) { node(id: $id) { ... on Payout { sellerName villageName amount status } } }"""
    variables = {"id": to_global_id("Payout", payout.pk)}
    node = gql.login(p["farmer_a"].user)(query, variables)["data"]["node"]
    assert node == {
        "sellerName": p["farmer_a"].name,
        "villageName": p["farmer_a"].village.name,
        "amount": str(payout.amount),
        "status": "PENDING",
    }
    assert gql.login(p["farmer_c"].user)(query, variables)["data"]["node"] is None
    fields = gql("""{ __type(name: "Payout") { fields { name } } }""")["data"]["__type"]["fields"]
    names = {field["name"] for field in fields}
    assert not names & {"phone", "idNumber", "farmer", "account", "idempotencyKey", "recordedBy"}


def test_status_filter_and_paid_amounts(gql, payouts_everywhere):
    p = payouts_everywhere
    operator = f.payout_operator()
    payouts.mark_paid(operator, p["payouts"][p["farmer_a"]], "REF-1")
    gql.login(operator)
    assert seen(gql, status="PAID") == {p["farmer_a"].name}
    assert len(seen(gql, status="PENDING")) == 3


def test_a_cooperative_manager_reads_the_cooperative_and_a_member(gql, settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    manager = f.user()
    coop = f.cooperative(manager=manager)
    member = f.farmer(cooperative=coop, name="龙大姐")
    own = variant(price="30.00", weight_kg="0.5", seller=coop)
    theirs = variant(price="20.00", weight_kg="0.5", seller=member)
    order = place_order([(own, 1), (theirs, 2)])
    shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)
    gql.login(manager)

    data = gql(MY_EARNINGS)["data"]["myEarnings"]
    assert (data["sellerName"], data["isCooperative"], data["payable"]) == (coop.name, True, "37.10")
    assert data["members"] == [{"name": "龙大姐", "totals": {"earned": "46.80"}}]
    member_data = gql(MY_EARNINGS, {"seller": to_global_id("Farmer", member.pk)})["data"]["myEarnings"]
    assert member_data["payable"] == "46.80"
