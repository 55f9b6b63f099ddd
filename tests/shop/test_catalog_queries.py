"""The public catalog over GraphQL: what shoppers see, how they narrow it, and what it costs."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from graphql_relay import to_global_id

from farmers.models import VerificationState
from tests import factories as f

pytestmark = pytest.mark.django_db

PRODUCT_CARDS = """
query($first: Int, $after: String, $filter: ProductFilterInput, $sortBy: ProductSortingInput) {
  products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name slug minPrice inStock url
      category { name parent { name } }
      variants { id name price stock weightKg }
      images { url(size: SMALL) alt width height }
      farmer { id name phone idNumber village { name } }
      cooperative { name }
      village { name county { name province { name } } }
    } }
  }
}"""


def names(result):
    assert "errors" not in result, result
    return [edge["node"]["name"] for edge in result["data"]["products"]["edges"]]


def test_only_published_priced_products_of_verified_sellers_are_listed(gql):
    shown = f.product(name="赣南脐橙")
    coop_shown = f.product(seller=f.cooperative(), name="合作社茶叶")
    f.product(name="草稿", published=False)
    pending = f.product(seller=f.farmer(state=VerificationState.PENDING), published=False, name="待审核")
    suspended_farmer = f.farmer()
    f.product(seller=suspended_farmer, name="已暂停")
    suspended_farmer.verification_state = VerificationState.SUSPENDED
    suspended_farmer.save()
    f.product(name="没有价格", variants=[])
    f.product(seller=f.cooperative(state=VerificationState.PENDING), published=False, name="合作社待审核")

    result = gql(PRODUCT_CARDS, {"first": 50})

    assert sorted(names(result)) == sorted([shown.name, coop_shown.name])
    assert result["data"]["products"]["totalCount"] == 2
    assert pending.pk  # exists, just not listed


def test_product_card_fields_and_no_personal_data_for_shoppers(gql):
    seller = f.farmer(phone="13912345678", id_number="532601199001011234")
    product = f.product(
        seller=seller, variants=[{"name": "10斤装", "price": Decimal("68.00"), "stock": 3, "weight_kg": Decimal("1")}]
    )

    node = gql(PRODUCT_CARDS, {"first": 10})["data"]["products"]["edges"][0]["node"]

    assert node["id"] == to_global_id("Product", product.pk)
    assert node["minPrice"] == "68.00"
    assert node["variants"][0]["price"] == "68.00"
    assert node["farmer"]["name"] == seller.name
    assert node["farmer"]["phone"] is None and node["farmer"]["idNumber"] is None
    assert node["village"]["county"]["province"]["name"] == seller.village.county.province.name
    assert node["url"] == "http://testserver" + reverse("shop:product", args=[product.slug])


def test_list_runs_a_fixed_number_of_queries_whatever_its_length(gql):
    """Products (with farmer and cooperative), then one query each for categories, villages (of
    products, farmers and cooperatives at once), variants and images: 5, for a page of 6 as for a
    page of 60 (no count: each page reaches the end of the list, so it knows `totalCount`)."""
    parent = f.category()
    village_a, village_b = f.village(), f.village()

    def add(count):
        for i in range(count):
            category = f.category(parent=parent)
            product = f.product(seller=f.farmer(village_=village_a if i % 2 else village_b), category_=category)
            f.product(seller=f.cooperative(village_=village_b), category_=category)
            product.images.create(status="ready", original="x.jpg", small="x.jpg", medium="x.jpg", large="x.jpg")

    def queries_for_a_page(expected_length):
        with CaptureQueriesContext(connection) as queries:
            result = gql(PRODUCT_CARDS, {"first": 100})
        assert len(names(result)) == expected_length
        assert all(
            edge["node"]["village"]["county"]["province"]["name"] for edge in result["data"]["products"]["edges"]
        )
        return len(queries)

    add(3)
    short_page = queries_for_a_page(6)
    add(27)
    long_page = queries_for_a_page(60)
    assert short_page == long_page == 5


def test_filters(gql):
    fruit = f.category(name="水果")
    citrus = f.category(name="柑橘", parent=fruit)
    tea = f.category(name="茶叶")
    village_a = f.village()
    village_b = f.village(county=village_a.county)
    farmer_a = f.farmer(village_=village_a)
    orange = f.product(
        seller=farmer_a,
        category_=citrus,
        name="脐橙",
        variants=[
            {"name": "5斤", "price": Decimal("30.00"), "stock": 5, "weight_kg": Decimal("1")},
            {"name": "10斤", "price": Decimal("55.00"), "stock": 0, "weight_kg": Decimal("1")},
        ],
    )
    f.product(
        seller=f.farmer(village_=village_b),
        category_=tea,
        name="绿茶",
        variants=[{"name": "250克", "price": Decimal("88.00"), "stock": 0, "weight_kg": Decimal("1")}],
    )
    f.product(
        category_=fruit,
        name="苹果",
        variants=[{"name": "5斤", "price": Decimal("25.00"), "stock": 2, "weight_kg": Decimal("1")}],
    )

    def listed(**filter_):
        return sorted(names(gql(PRODUCT_CARDS, {"first": 50, "filter": filter_})))

    assert listed(category=to_global_id("Category", fruit.pk)) == ["脐橙", "苹果"]
    assert listed(category=to_global_id("Category", citrus.pk)) == ["脐橙"]
    assert listed(village=to_global_id("Village", village_b.pk)) == ["绿茶"]
    assert listed(county=to_global_id("County", village_a.county_id)) == ["绿茶", "脐橙"]
    assert listed(farmer=to_global_id("Farmer", farmer_a.pk)) == ["脐橙"]
    assert listed(priceRange={"gte": "50", "lte": "60"}) == ["脐橙"]
    assert listed(priceRange={"lte": "26"}) == ["苹果"]
    assert listed(inStock=False) == ["绿茶"]
    assert listed(inStock=True, priceRange={"gte": "20"}) == ["脐橙", "苹果"]
    assert orange.in_stock


def test_sorting_and_pagination(gql):
    for price in ("30.00", "10.00", "20.00"):
        f.product(
            name=f"p{price}", variants=[{"name": "箱", "price": Decimal(price), "stock": 1, "weight_kg": Decimal("1")}]
        )

    ascending = gql(PRODUCT_CARDS, {"first": 2, "sortBy": {"field": "PRICE", "direction": "ASC"}})
    assert names(ascending) == ["p10.00", "p20.00"]
    page = ascending["data"]["products"]["pageInfo"]
    assert page["hasNextPage"] is True
    rest = gql(
        PRODUCT_CARDS, {"first": 2, "after": page["endCursor"], "sortBy": {"field": "PRICE", "direction": "ASC"}}
    )
    assert names(rest) == ["p30.00"]
    assert rest["data"]["products"]["totalCount"] == 3
    descending = gql(PRODUCT_CARDS, {"first": 3, "sortBy": {"field": "PRICE", "direction": "DESC"}})
    assert names(descending) == ["p30.00", "p20.00", "p10.00"]


def test_connection_is_capped_at_100(gql):
    f.product()
    result = gql(PRODUCT_CARDS, {"first": 101})
    assert result["data"]["products"] is None
    assert "exceeds the `first` limit of 100" in result["errors"][0]["message"]
    assert names(gql(PRODUCT_CARDS, {"first": 100})) != []


def test_product_by_id_and_slug(gql):
    product = f.product(name="洋芋")
    by_id = gql("query($id: ID){ product(id: $id) { name } }", {"id": to_global_id("Product", product.pk)})
    by_slug = gql("query($slug: String){ product(slug: $slug) { name } }", {"slug": product.slug})
    assert by_id["data"]["product"]["name"] == by_slug["data"]["product"]["name"] == "洋芋"


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("not-base64!!", "INVALID_ID"),
        (to_global_id("Village", 1), "INVALID_ID"),
        (to_global_id("Product", 999999), "NOT_FOUND"),
        (to_global_id("Product", "abc"), "INVALID_ID"),
    ],
)
def test_bad_product_ids_are_clear_errors(gql, given, code):
    result = gql("query($id: ID){ product(id: $id) { name } }", {"id": given})
    assert result["data"]["product"] is None
    assert result["errors"][0]["extensions"]["code"] == code
    assert result["errors"][0]["message"] != "Internal error."


def test_draft_is_visible_to_its_seller_only(gql):
    seller = f.farmer()
    draft = f.product(seller=seller, published=False)
    query = "query($id: ID){ product(id: $id) { name isPublished } }"
    variables = {"id": to_global_id("Product", draft.pk)}

    assert gql(query, variables)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    other = f.farmer()
    assert gql.login(other.user)(query, variables)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gql.login(seller.user)(query, variables)["data"]["product"]["isPublished"] is False


def test_node_query_respects_visibility(gql):
    visible = f.product()
    hidden = f.product(published=False)
    query = "query($id: ID!){ node(id: $id) { id ... on Product { name } } }"
    assert gql(query, {"id": to_global_id("Product", visible.pk)})["data"]["node"]["name"] == visible.name
    assert gql(query, {"id": to_global_id("Product", hidden.pk)})["data"]["node"] is None
    assert gql(query, {"id": "garbage"})["errors"][0]["extensions"]["code"] == "INVALID_ID"


def test_categories_and_villages(gql):
    fruit = f.category(name="水果")
    f.category(name="柑橘", parent=fruit)
    village_a = f.village(name="十八洞村")
    f.village(name="别的村")
    categories = gql("{ categories { name children { name parent { name } } } }")["data"]["categories"]
    assert {"name": "水果", "children": [{"name": "柑橘", "parent": {"name": "水果"}}]} in categories
    assert all(category["name"] != "柑橘" for category in categories)

    villages = gql(
        "query($c: ID){ villages(county: $c) { name households poorHouseholds povertyLine } }",
        {"c": to_global_id("County", village_a.county_id)},
    )["data"]["villages"]
    assert villages == [{"name": "十八洞村", "households": 200, "poorHouseholds": 30, "povertyLine": "4000.00"}]
    one = gql(
        "query($id: ID!){ village(id: $id) { name province { name } } }", {"id": to_global_id("Village", village_a.pk)}
    )["data"]["village"]
    assert one == {"name": "十八洞村", "province": {"name": village_a.county.province.name}}


FARMER = "query($id: ID!){ farmer(id: $id) { name story phone idNumber isRegisteredPoor verificationState } }"


def test_farmer_public_profile_hides_personal_data(gql):
    farmer = f.farmer(phone="13711112222", id_number="532601198001011111", is_registered_poor=True)
    result = gql(FARMER, {"id": to_global_id("Farmer", farmer.pk)})["data"]["farmer"]
    assert result["name"] == farmer.name
    assert result["phone"] is None and result["idNumber"] is None and result["isRegisteredPoor"] is None


def test_personal_data_for_the_farmer_staff_and_covering_ngo_only(gql, client):
    farmer = f.farmer(phone="13711112222", id_number="532601198001011111")
    covering = f.ngo(villages=[farmer.village], staff=[f.user()])
    other_ngo = f.ngo(villages=[f.village()], staff=[f.user()])
    variables = {"id": to_global_id("Farmer", farmer.pk)}

    for viewer in (farmer.user, f.staff_user(), covering.staff.get()):
        client.logout()
        assert gql.login(viewer)(FARMER, variables)["data"]["farmer"]["phone"] == "13711112222"
    for viewer in (other_ngo.staff.get(), f.farmer().user, f.user()):
        client.logout()
        data = gql.login(viewer)(FARMER, variables)["data"]["farmer"]
        assert data["phone"] is None and data["idNumber"] is None


def test_unverified_farmer_has_no_public_profile(gql):
    pending = f.farmer(state=VerificationState.PENDING)
    result = gql(FARMER, {"id": to_global_id("Farmer", pending.pk)})
    assert result["data"]["farmer"] is None
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gql.login(pending.user)(FARMER, {"id": to_global_id("Farmer", pending.pk)})["data"]["farmer"]["name"]


def test_query_nested_twenty_levels_is_rejected(gql):
    f.product()
    nested = "category { " + "parent { " * 15 + "name" + " }" * 15 + " }"
    query = "{ products(first: 1) { edges { node { " + nested + " } } } }"  # 20 levels
    result = gql(query)
    assert result.get("data") is None
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"


def test_costly_query_is_rejected_before_running(gql, django_assert_num_queries):
    aliases = " ".join(
        f"a{i}: products(first: 100) {{ edges {{ node {{ name variants {{ name price stock }} "
        f"farmer {{ name village {{ name }} }} }} }} }}"
        for i in range(20)
    )
    with django_assert_num_queries(0):
        result = gql("{ " + aliases + " }")
    assert result.get("data") is None
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # The ordinary card query is well within the limit.
    assert "errors" not in gql(PRODUCT_CARDS, {"first": 100})


@pytest.mark.parametrize(("parents", "allowed"), [(8, True), (9, False)])
def test_depth_limit_boundary(gql, parents, allowed):
    """products › edges › node › category is 4 levels; each parent adds one; the limit is 12."""
    f.product()
    nested = "category { " + "parent { " * parents + "name" + " }" * parents + " }"
    result = gql("{ products(first: 1) { edges { node { " + nested + " } } } }")
    assert ("errors" not in result) is allowed


def test_fixed_query_count_for_a_logged_in_ngo_viewer_asking_for_phones(gql):
    """The personal-data rule is loaded once per request, not once per farmer."""
    officer = f.user()
    village = f.village()
    f.ngo(villages=[village], staff=[officer])
    gql.login(officer)
    fields = "phone idNumber isRegisteredPoor cooperative { name }"
    query = "{ products(first: 100) { edges { node { farmer { " + fields + " } } } } }"

    def page(count):
        for _ in range(count):
            f.product(seller=f.farmer(village_=village, cooperative=f.cooperative(village_=village)))
        with CaptureQueriesContext(connection) as queries:
            result = gql(query)
        phones = [edge["node"]["farmer"]["phone"] for edge in result["data"]["products"]["edges"]]
        assert all(phones) and len(phones) >= count
        return len(queries)

    assert page(2) == page(20)


def test_pending_cooperative_is_not_public(gql):
    manager = f.user()
    pending = f.cooperative(state=VerificationState.PENDING, manager=manager)
    member = f.farmer(cooperative=pending)
    f.product(seller=member)
    query = "query($id: ID!){ node(id: $id) { ... on Cooperative { name } } }"
    variables = {"id": to_global_id("Cooperative", pending.pk)}

    assert gql(query, variables)["data"]["node"] is None
    cards = gql("{ products(first: 5) { edges { node { farmer { name cooperative { name } } } } } }")
    assert cards["data"]["products"]["edges"][0]["node"]["farmer"]["cooperative"] is None
    assert gql.login(manager)(query, variables)["data"]["node"]["name"] == pending.name
