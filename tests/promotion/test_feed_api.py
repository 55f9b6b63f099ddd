"""`feed(first, after)` over GraphQL: stories and goods with labelled promoted slots at a bounded
ad load, cursors that continue exactly, campaigns that must not be served, and a fixed query count."""

import base64
import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from graphql_relay import from_global_id

from promotion import feed_cache
from promotion.clicks import record_click
from promotion.feed import FeedPosition, organic_products, published_stories, ranking_seed
from promotion.feed_reader import ViewerProfile
from promotion.models import CampaignState, Click, ClickOutcome
from promotion.tokens import issue
from tests import factories as f

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"

FEED = """query($first: Int, $after: String) {
  feed(first: $first, after: $after) {
    edges {
      cursor promoted sponsorName adLabel clickUrl
      node {
        __typename
        ... on ContentItem { id title slug village { name } }
        ... on Product {
          id name slug url
          variants { name price }
          images { url }
          farmer { name }
          village { name }
          category { name }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""


def feed(gql, first, after=None):
    result = gql(FEED, {"first": first, "after": after})
    assert "errors" not in result, result.get("errors")
    return result["data"]["feed"]


def walk(gql, first, pages=None):
    """Edges of consecutive pages, following endCursor, until the end (or `pages` pages)."""
    edges, after, n = [], None, 0
    while pages is None or n < pages:
        page = feed(gql, first, after)
        edges += page["edges"]
        after, n = page["pageInfo"]["endCursor"], n + 1
        if not page["pageInfo"]["hasNextPage"]:
            break
    return edges


def key(edge) -> tuple[str, int]:
    return edge["node"]["__typename"], int(from_global_id(edge["node"]["id"])[1])


def promoting_campaigns(n, **fields):
    """n campaigns of n sponsors, each promoting a product of its own. Made before the organic
    goods, so their products are the oldest, at the end of the organic feed."""
    made = []
    for i in range(n):
        made.append(f.campaign(f.sponsor(name=f"赞助{i}"), products=[f.product(name=f"推广品{i}")], **fields))
    return made


def organic(stories=4, products=12):
    for _ in range(stories):
        f.story()
    for _ in range(products):
        f.product()


def test_stories_and_goods_mixed_and_promoted_entries_labelled(gql, client):
    campaigns = promoting_campaigns(3)
    organic(stories=4, products=12)
    edges = feed(gql, 10)["edges"]
    kinds = {edge["node"]["__typename"] for edge in edges}
    assert kinds == {"ContentItem", "Product"}
    promoted = [e for e in edges if e["promoted"]]
    assert len(promoted) == 2  # positions 5 and 10
    sponsors = {c.sponsor.name: c for c in campaigns}
    for edge in promoted:
        campaign = sponsors[edge["sponsorName"]]
        assert edge["adLabel"] == f"广告 · {campaign.sponsor.name}"  # the request's language: Chinese by default
        assert edge["node"]["__typename"] == "Product"
        assert edge["node"]["name"] == campaign.products.get().name
        assert edge["clickUrl"].startswith("http://testserver/r/")
    for edge in (e for e in edges if not e["promoted"]):
        assert edge["sponsorName"] is None and edge["adLabel"] is None
        if edge["node"]["__typename"] == "Product":
            assert edge["clickUrl"] == edge["node"]["url"]
        else:
            story_url = reverse("promotion:story", kwargs={"slug": edge["node"]["slug"]})
            assert edge["clickUrl"] == f"http://testserver{story_url}"

    # The promoted link is the click path: it bills the campaign and lands on the product.
    edge = promoted[0]
    response = client.get(edge["clickUrl"].removeprefix("http://testserver"), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:product", kwargs={"slug": edge["node"]["slug"]})
    click = Click.objects.get()
    assert (click.outcome, click.campaign) == (ClickOutcome.BILLED, sponsors[edge["sponsorName"]])


def test_the_ad_label_follows_the_request_language(gql, client):
    promoting_campaigns(1)
    organic(stories=1, products=6)
    client.cookies["django_language"] = "en"
    (edge,) = [e for e in feed(gql, 5)["edges"] if e["promoted"]]
    assert edge["adLabel"] == f"Ad · {edge['sponsorName']}"


@pytest.mark.parametrize("every", [2, 5])
def test_ad_load_is_capped_and_promoted_entries_never_touch(gql, settings, every):
    settings.FEED_PROMOTED_EVERY = every
    promoting_campaigns(8)  # enough to fill every promoted slot of a page
    organic(stories=6, products=24)
    edges = walk(gql, 7, pages=4)
    assert len(edges) == 28
    flags = [e["promoted"] for e in edges]
    assert not any(a and b for a, b in itertools.pairwise(flags)), flags
    for start in range(len(flags) - every + 1):
        assert sum(flags[start : start + every]) <= 1, (start, flags)
    # Every slot the cap allows is filled, across page boundaries too.
    assert [i for i, promoted in enumerate(flags) if promoted] == [
        i for i in range(len(flags)) if i % every == every - 1
    ]
    assert all(e["sponsorName"] for e in edges if e["promoted"])


def walk_pages(gql, first, pages):
    out, after = [], None
    for _n in range(pages):
        page = feed(gql, first, after)
        out.append(page["edges"])
        after = page["pageInfo"]["endCursor"]
    return out


def used(cursor) -> FeedPosition:
    return FeedPosition.from_cursor(cursor) if cursor else FeedPosition()


def check_continuity(pages):
    """Each page's organic entries are exactly the next stories and goods after the page before,
    in feed order (the goods: this reader's whole ranked list, an anonymous reader's here); only
    goods promoted on that same page are left out of its organic entries."""
    stories = [("ContentItem", pk) for pk in published_stories().values_list("pk", flat=True)]
    snapshot = used(pages[0][0]["cursor"]).snapshot
    assert {used(e["cursor"]).snapshot for page in pages for e in page} == {snapshot}
    reader, now = ViewerProfile(), timezone.now()
    ranked = [c.product_id for c, _reason in feed_cache.kept(None, now).pool.rank(reader, ranking_seed(reader, now))]
    assert sorted(ranked) == sorted(organic_products().values_list("pk", flat=True))
    goods = [("Product", pk) for pk in ranked]
    before = FeedPosition()
    for edges in pages:
        after = used(edges[-1]["cursor"])
        promoted = {key(e) for e in edges if e["promoted"]}
        shown = [key(e) for e in edges if not e["promoted"]]
        assert [k for k in shown if k[0] == "ContentItem"] == stories[before.stories : after.stories]
        assert [k for k in shown if k[0] == "Product"] == [
            k for k in goods[before.products : after.products] if k not in promoted
        ]
        before = after


def test_cursors_continue_without_duplicates_or_gaps(gql):
    promoting_campaigns(3)
    organic(stories=6, products=20)
    pages = walk_pages(gql, 4, pages=6)
    edges = [e for page in pages for e in page]
    assert sum(e["promoted"] for e in edges) == 4  # slots 5, 10, 15, 20 of 24
    organic_keys = [key(e) for e in edges if not e["promoted"]]
    assert len(organic_keys) == len(set(organic_keys))
    assert len({e["cursor"] for e in edges}) == len(edges)
    check_continuity(pages)


def test_the_end_of_the_feed_loses_nothing(gql):
    promoting_campaigns(2)
    organic(stories=5, products=9)
    pages = walk_pages(gql, 4, pages=5)
    assert not feed(gql, 4, pages[-1][-1]["cursor"])["edges"]
    check_continuity(pages)


def test_the_last_page_says_so(gql):
    organic(stories=1, products=2)
    page = feed(gql, 3)
    assert page["pageInfo"]["hasNextPage"] is False
    after = feed(gql, 3, page["pageInfo"]["endCursor"])
    assert after["edges"] == [] and after["pageInfo"]["hasNextPage"] is False


def test_campaigns_out_of_budget_schedule_or_state_are_never_served(gql):
    now = timezone.now()
    good = f.campaign(f.sponsor(name="正常"), products=[f.product()])
    bad = {
        "paused": f.campaign(f.sponsor(name="暂停"), products=[f.product()], state=CampaignState.PAUSED),
        "draft": f.campaign(f.sponsor(name="草稿"), products=[f.product()], state=CampaignState.DRAFT),
        "ended": f.campaign(f.sponsor(name="结束"), products=[f.product()], state=CampaignState.ENDED),
        "not started": f.campaign(
            f.sponsor(name="未开始"), products=[f.product()], starts_at=now + datetime.timedelta(hours=1)
        ),
        "past its end": f.campaign(
            f.sponsor(name="已过期"),
            products=[f.product()],
            starts_at=now - datetime.timedelta(days=2),
            ends_at=now - datetime.timedelta(minutes=1),
        ),
        "total cap spent": f.campaign(
            f.sponsor(name="总预算用完"), products=[f.product()], daily_cap=Decimal("1.00"), total_cap=Decimal("1.00")
        ),
        "total cap spent, state not yet moved": f.campaign(
            f.sponsor(name="总预算用完仍活跃"),
            products=[f.product()],
            daily_cap=Decimal("1.00"),
            total_cap=Decimal("1.00"),
        ),
        "daily cap spent": f.campaign(
            f.sponsor(name="日预算用完"), products=[f.product()], daily_cap=Decimal("1.00"), total_cap=Decimal("50.00")
        ),
    }
    for name in ("total cap spent", "total cap spent, state not yet moved", "daily cap spent"):
        campaign = bad[name]
        spent = record_click(issue(campaign.pk, campaign.products.get().pk, now), viewer_key="v", user_agent=BROWSER)
        assert spent.click.outcome == ClickOutcome.BILLED
    bad["total cap spent"].refresh_from_db()
    assert bad["total cap spent"].state == CampaignState.EXHAUSTED
    # As if the state change had not happened: the budget check alone must keep it out.
    moved = bad["total cap spent, state not yet moved"]
    type(moved).objects.filter(pk=moved.pk).update(state=CampaignState.ACTIVE)
    organic(stories=3, products=20)

    served = set()
    for _request in range(4):
        served |= {e["sponsorName"] for e in feed(gql, 20)["edges"] if e["promoted"]}
    assert served == {good.sponsor.name}


@pytest.mark.parametrize(
    "variables, field",
    [
        ({"first": 5, "after": "garbage!"}, "after"),
        ({"first": 5, "after": base64.urlsafe_b64encode(b"feed:1:5:5").decode()}, "after"),  # before snapshots
        ({"first": 5, "after": base64.urlsafe_b64encode(b"feed:1:5:0:0123456789abcdef").decode()}, "after"),
        ({"first": 5, "after": base64.urlsafe_b64encode(b"feed:1:0:1:not-a-token").decode()}, "after"),
        ({"first": 5, "after": base64.urlsafe_b64encode(b"other:1:0:0").decode()}, "after"),
        ({"first": 5, "after": "YXJyYXljb25uZWN0aW9uOjQ="}, "after"),  # another list's cursor
        ({"first": 0}, "first"),
        ({"first": -1}, "first"),
        ({"first": 51}, "first"),
    ],
)
def test_bad_arguments_are_coded_errors(gql, variables, field):
    organic(stories=1, products=1)
    result = gql(FEED, variables)
    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": "INVALID", "field": field}


def test_the_feed_costs_the_same_queries_whatever_its_length(gql):
    promoting_campaigns(8)
    organic(stories=10, products=41)

    def count(first):
        with CaptureQueriesContext(connection) as captured:
            edges = feed(gql, first)["edges"]
        assert len(edges) == first
        assert sum(e["promoted"] for e in edges) == first // 5
        return len(captured)

    assert count(5) == count(40)
