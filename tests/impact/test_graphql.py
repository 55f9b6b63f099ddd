"""`villageImpact` and `impactReport`: the pages' visibility, the figures' values and IRIS+
codes, and coded errors for a bad period or a village one may not see."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from impact.figures import figures, series
from tests import factories as f

pytestmark = pytest.mark.django_db

VILLAGE_IMPACT = """
query($id: ID!, $period: String!) {
  villageImpact(villageId: $id, period: $period) {
    period
    figures { paidOut grossSales farmersShare householdsWithSale }
    series { period figures { paidOut } }
    villages { village { id } figures { paidOut } }
    definitions { key irisCode unit }
  }
}
"""
REPORT = """
query($scope: ImpactScope!, $period: String!) {
  impactReport(scope: $scope, period: $period) {
    figures { paidOut grossSales }
    villages { village { id } figures { paidOut } }
  }
}
"""


def gid(village):
    return to_global_id("Village", village.pk)


def test_an_ngo_gets_its_villages_figures(gql, world):
    gql.login(world.officer_a)
    data = gql(VILLAGE_IMPACT, {"id": gid(world.village_a), "period": world.period_text})
    assert "errors" not in data
    impact = data["data"]["villageImpact"]
    expected = figures([world.village_a.pk], world.period)
    assert impact["figures"]["paidOut"] == str(expected.paid_out)
    assert Decimal(impact["figures"]["paidOut"]) > 0
    assert impact["figures"]["grossSales"] == str(expected.gross_sales)
    assert impact["figures"]["householdsWithSale"] == expected.households_with_sale
    assert [point["figures"]["paidOut"] for point in impact["series"]] == [
        str(values.paid_out) for _point, values in series([world.village_a.pk], world.period)
    ]
    assert [row["village"]["id"] for row in impact["villages"]] == [gid(world.village_a)]
    codes = {d["key"]: d["irisCode"] for d in impact["definitions"]}
    assert codes["paid_out"] == "PI7852" and codes["farmers_share"] == "PI8632" and codes["refunds"] is None


def test_another_ngos_village_is_not_found(gql, world):
    gql.login(world.officer_a)
    data = gql(VILLAGE_IMPACT, {"id": gid(world.village_b), "period": world.period_text})
    assert data["data"]["villageImpact"] is None
    assert data["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "villageId"}


@pytest.mark.parametrize("who", ["shopper", "farmer", "anonymous"])
def test_others_are_refused(gql, world, who):
    if who == "shopper":
        gql.login(f.user())
    elif who == "farmer":
        gql.login(f.farmer(village_=world.village_a).user)
    data = gql(VILLAGE_IMPACT, {"id": gid(world.village_a), "period": world.period_text})
    assert data["data"]["villageImpact"] is None
    assert data["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    data = gql(REPORT, {"scope": {"kind": "ALL"}, "period": world.period_text})
    assert data["data"]["impactReport"] is None
    assert data["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("period", ["2026-13", "", "2026-Q5", "2026-02-30..2026-03-01", "2020-01-01..2026-01-01"])
def test_a_bad_period_is_a_coded_error(gql, world, period):
    gql.login(world.officer_a)
    data = gql(VILLAGE_IMPACT, {"id": gid(world.village_a), "period": period})
    assert data["data"]["villageImpact"] is None
    (error,) = data["errors"]
    assert error["extensions"] == {"code": "INVALID_PERIOD", "field": "period"}
    assert error["message"]


def test_a_malformed_village_id_is_a_coded_error(gql, world):
    gql.login(world.officer_a)
    data = gql(VILLAGE_IMPACT, {"id": "nonsense", "period": world.period_text})
    assert data["errors"][0]["extensions"] == {"code": "INVALID_ID", "field": "villageId"}


def test_report_of_all_is_the_viewers_villages(gql, world):
    gql.login(world.officer_a)
    report = gql(REPORT, {"scope": {"kind": "ALL"}, "period": world.period_text})["data"]["impactReport"]
    assert [row["village"]["id"] for row in report["villages"]] == [gid(world.village_a)]
    assert report["figures"]["paidOut"] == str(figures([world.village_a.pk], world.period).paid_out)
    gql.login(world.operator)
    report = gql(REPORT, {"scope": {"kind": "ALL"}, "period": world.period_text})["data"]["impactReport"]
    both = [world.village_a.pk, world.village_b.pk]
    assert {row["village"]["id"] for row in report["villages"]} == {gid(world.village_a), gid(world.village_b)}
    assert report["figures"]["paidOut"] == str(figures(both, world.period).paid_out)


def test_report_of_an_ngo_county_or_village(gql, world):
    from farmers.models import NGO

    gql.login(world.officer_a)
    own_ngo = NGO.objects.get(staff=world.officer_a)
    other_ngo = NGO.objects.get(staff=world.officer_b)
    ok = gql(REPORT, {"scope": {"kind": "NGO", "id": to_global_id("NGO", own_ngo.pk)}, "period": world.period_text})
    assert [row["village"]["id"] for row in ok["data"]["impactReport"]["villages"]] == [gid(world.village_a)]
    county = to_global_id("County", world.village_a.county_id)
    ok = gql(REPORT, {"scope": {"kind": "COUNTY", "id": county}, "period": world.period_text})
    assert ok["data"]["impactReport"]["figures"]["paidOut"] == str(figures([world.village_a.pk], world.period).paid_out)
    for scope in (
        {"kind": "NGO", "id": to_global_id("NGO", other_ngo.pk)},
        {"kind": "VILLAGE", "id": gid(world.village_b)},
        {"kind": "COUNTY", "id": to_global_id("County", world.village_b.county_id)},
    ):
        refused = gql(REPORT, {"scope": scope, "period": world.period_text})
        assert refused["data"]["impactReport"] is None
        assert refused["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "scope"}
    missing = gql(REPORT, {"scope": {"kind": "VILLAGE"}, "period": world.period_text})
    assert missing["errors"][0]["extensions"] == {"code": "REQUIRED", "field": "scope"}
