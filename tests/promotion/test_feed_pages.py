"""The feed page and the story page, as a shopper on a phone meets them."""

import itertools
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from promotion.models import Click, ClickOutcome, ContentImage, ContentStatus, Spend
from shop.models import ImageStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
PHONE, ID_NUMBER = "13787654321", "433124198801019999"
ORGANIC_GOODS = 22  # more than a page (20 items) holds, so that promoted goods are not also organic on it


def feed_cards(html: str) -> list[dict]:
    """The feed's cards in order: their classes, first link, its rel, and the label, if any."""
    listing = re.search(r'<ul class="cards feed">(.*?)</ul>', html, re.S)
    assert listing, "no feed list on the page"
    cards = []
    for chunk in listing.group(1).split('<li class="card')[1:]:
        link = re.search(r'<a href="([^"]+)"(?: rel="([^"]+)")?', chunk)
        badge = re.search(r'<p class="card-badge">(.*?)</p>', chunk, re.S)
        cards.append(
            {
                "promoted": "card-promoted" in chunk.split(">", 1)[0],
                "story": "story-card" in chunk.split(">", 1)[0],
                "href": link.group(1),
                "rel": link.group(2),
                "badge": badge.group(1).strip() if badge else None,
            }
        )
    return cards


def more_link(html: str) -> str | None:
    """The "more" link, as the browser resolves it against /feed/."""
    found = re.search(r'<a class="feed-more" href="(\?after=[^"]+)"', html)
    return reverse("promotion:feed") + found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def village():
    return f.village(name="十八洞村", story="苗寨，种猕猴桃。")


@pytest.fixture
def farmer(village):
    return f.farmer(village_=village, name="龙大姐", phone=PHONE, id_number=ID_NUMBER)


@pytest.fixture
def promoted_goods(farmer):
    """Listed first, so the oldest: the organic goods below fill the first page before them."""
    return [f.product(seller=farmer, name=f"推广货{n}") for n in range(4)]


@pytest.fixture
def organic(farmer, village, promoted_goods):
    goods = [f.product(seller=farmer, name=f"山货{n}") for n in range(ORGANIC_GOODS)]
    stories = [f.story(village_=village, farmer=farmer, title=f"十八洞的故事{n}") for n in range(6)]
    return goods, stories


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_feed_mixes_stories_goods_and_labelled_promoted_goods(client, organic, promoted_goods):
    goods, stories = organic
    sponsor = f.sponsor(name="山路公益基金会")
    f.campaign(sponsor, products=[promoted_goods[0]], bid=Decimal("0.80"))

    response = english(client).get(reverse("promotion:feed"))

    assert response.status_code == 200
    html = response.content.decode()
    cards = feed_cards(html)
    assert len(cards) == 20
    newest_story = stories[0]  # the builder publishes each story a minute before the last
    assert cards[0]["story"] and cards[0]["href"] == reverse("promotion:story", args=[newest_story.slug])
    assert newest_story.title in html and newest_story.summary in html
    assert "十八洞村" in html and goods[0].village.county.name in html
    organic_goods = [c for c in cards if not c["story"] and not c["promoted"]]
    assert organic_goods and all(c["href"].startswith("/p/") and c["rel"] is None for c in organic_goods)
    # Newest first; an organic card's link says it came from the feed (the reader's signals).
    assert organic_goods[0]["href"] == reverse("shop:product", args=[goods[-1].slug]) + "?from=feed"

    promoted = [c for c in cards if c["promoted"]]
    assert len(promoted) == 1
    assert promoted[0]["badge"] == "Ad · 山路公益基金会"
    assert promoted[0]["href"].startswith("/r/") and promoted[0]["rel"] == "sponsored nofollow"
    assert promoted_goods[0].name in html
    assert cards.index(promoted[0]) == 4  # the fifth item: one slot in five
    assert "13787654321" not in html and "433124198801019999" not in html


def test_every_promoted_card_says_advertisement_and_its_sponsor_in_chinese(client, farmer, village):
    """China's Internet Advertising Measures (2023): slots sold per click and ranked by bid are paid
    ranking, to be marked 广告 where they are seen and kept apart from organic items."""
    promoted = [f.product(seller=farmer, name=f"猕猴桃{n}") for n in range(3)]
    for n in range(ORGANIC_GOODS):
        f.product(seller=farmer, name=f"山货{n}")
    story = f.story(village_=village, farmer=farmer, title="十八洞的故事")
    story.products.set(promoted[:1])
    sponsors = [f.sponsor(name=name) for name in ("山路公益基金会", "乡村振兴公司", "平台公益流量")]
    for sponsor, product in zip(sponsors, promoted, strict=True):
        f.campaign(sponsor, products=[product])

    html = client.get(reverse("promotion:feed")).content.decode()  # Chinese: the site's default

    cards = feed_cards(html)
    labelled = [card for card in cards if card["promoted"]]
    assert len(labelled) == 3
    assert sorted(card["badge"] for card in labelled) == sorted(f"广告 · {s.name}" for s in sponsors)
    assert all(card["badge"] is None for card in cards if not card["promoted"]), "organic cards carry no label"
    assert "推广" not in html
    assert "推广" not in client.get(reverse("promotion:story", args=[story.slug])).content.decode()


def test_promoted_cards_are_never_adjacent_on_a_page_or_across_pages(client, organic, promoted_goods):
    for product in promoted_goods:
        f.campaign(products=[product])
    first = client.get(reverse("promotion:feed")).content.decode()
    second = client.get(more_link(first)).content.decode()

    kinds = [card["promoted"] for card in feed_cards(first) + feed_cards(second)]
    assert sum(kinds[:20]) == 4, "four campaigns fill the four slots of the first page"
    assert not any(a and b for a, b in itertools.pairwise(kinds))


def test_more_link_continues_without_repeating_and_reaches_the_end(client, organic, promoted_goods):
    goods, stories = organic
    html = client.get(reverse("promotion:feed")).content.decode()
    seen, pages = [], 0
    while True:
        pages += 1
        seen += [card["href"] for card in feed_cards(html) if not card["promoted"]]
        link = more_link(html)
        if not link:
            break
        assert pages < 5
        html = client.get(link).content.decode()

    expected = {reverse("shop:product", args=[p.slug]) + "?from=feed" for p in [*goods, *promoted_goods]}
    expected |= {reverse("promotion:story", args=[s.slug]) for s in stories}
    assert pages == 2
    assert len(seen) == len(set(seen)), "an item came twice"
    assert set(seen) == expected


def test_a_bad_cursor_shows_the_top_of_the_feed(client, organic):
    top = feed_cards(client.get(reverse("promotion:feed")).content.decode())
    for cursor in ("bogus", "ZmVlZDo5OTk6MDow", "%00"):
        response = client.get(reverse("promotion:feed"), {"after": cursor})
        assert response.status_code == 200
        assert [c["href"] for c in feed_cards(response.content.decode())] == [c["href"] for c in top]


def test_campaigns_paused_or_out_of_budget_are_not_shown(client, organic, promoted_goods):
    from promotion.models import CampaignState

    live = f.campaign(f.sponsor(name="在投放的赞助方"), products=[promoted_goods[0]])
    f.campaign(f.sponsor(name="已暂停的赞助方"), products=[promoted_goods[1]], state=CampaignState.PAUSED)
    one_click = f.campaign(f.sponsor(name="只够一次点击"), products=[promoted_goods[2]], daily_cap=Decimal("1.00"))

    html = client.get(reverse("promotion:feed")).content.decode()
    badges = " ".join(c["badge"] for c in feed_cards(html) if c["promoted"])
    assert "在投放的赞助方" in badges and "只够一次点击" in badges and "已暂停的赞助方" not in badges

    # One billed click spends the day's budget of `one_click`: it is not served again today.
    one_click_card = next(c for c in feed_cards(html) if c["badge"] and "只够一次点击" in c["badge"])
    client.get(one_click_card["href"], HTTP_USER_AGENT=PHONE_BROWSER)
    assert Spend.objects.filter(campaign=one_click).count() == 1
    for _ in range(3):
        html = client.get(reverse("promotion:feed")).content.decode()
        badges = " ".join(c["badge"] for c in feed_cards(html) if c["promoted"])
        assert "在投放的赞助方" in badges and "只够一次点击" not in badges
    assert not Spend.objects.filter(campaign=live).exists()


def test_feed_is_never_kept_by_shared_caches(client, organic):
    response = client.get(reverse("promotion:feed"))
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert response["Server-Timing"].startswith("promo;dur=")


def test_following_a_promoted_card_bills_once_and_lands_on_the_goods(client, organic, promoted_goods):
    campaign = f.campaign(products=[promoted_goods[0]], bid=Decimal("0.50"))
    html = client.get(reverse("promotion:feed")).content.decode()
    link = next(c["href"] for c in feed_cards(html) if c["promoted"])

    response = client.get(link, HTTP_USER_AGENT=PHONE_BROWSER)

    assert response.status_code == 302
    assert response["Location"] == reverse("shop:product", args=[promoted_goods[0].slug])
    click = Click.objects.get()
    assert click.campaign == campaign and click.outcome == ClickOutcome.BILLED and click.cost == Decimal("0.50")
    assert Spend.objects.get().amount == Decimal("0.50")

    again = client.get(link, HTTP_USER_AGENT=PHONE_BROWSER)  # the same link, reused: a redirect, no bill
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Spend.objects.count() == 1 and Click.objects.filter(outcome=ClickOutcome.REUSED).count() == 1


def test_an_empty_feed_says_so(client):
    response = client.get(reverse("promotion:feed"))
    assert response.status_code == 200 and 'class="cards feed"' not in response.content.decode()


# --- The story page ---------------------------------------------------------------------------


def ready_photo(story, caption, status=ImageStatus.READY, position=0):
    jpeg = f.image_bytes()
    files = {size: ContentFile(jpeg, name=f"{size}.jpg") for size in ("original", "small", "medium", "large")}
    return ContentImage.objects.create(
        item=story, caption=caption, status=status, position=position, width=64, height=48, **files
    )


def test_story_page_shows_the_story_its_photos_village_and_goods(client, village, farmer):
    on_sale = f.product(seller=farmer, name="十八洞猕猴桃")
    draft = f.product(seller=farmer, name="还没上架的货", published=False)
    story = f.story(
        village_=village,
        farmer=farmer,
        title="猕猴桃熟了",
        summary="龙大姐家的果园",
        body="第一段<script>alert(1)</script>\n第二行\n\n第二段",
    )
    story.products.set([on_sale, draft])
    shown = ready_photo(story, "果园里的清晨")
    hidden = ready_photo(story, "还在处理的照片", status=ImageStatus.PENDING, position=1)

    response = client.get(reverse("promotion:story", args=[story.slug]))

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("猕猴桃熟了", "龙大姐家的果园", "龙大姐", "十八洞村", "果园里的清晨", "十八洞猕猴桃"):
        assert text in html
    assert shown.medium.url in html and "还在处理的照片" not in html and hidden.medium.url not in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "第二行" in html and "<br>" in html and html.count("<p>第") >= 1
    assert reverse("shop:village", args=[village.slug]) in html
    assert reverse("shop:product", args=[on_sale.slug]) in html and "还没上架的货" not in html
    assert PHONE not in html and ID_NUMBER not in html


def test_a_story_page_is_chinese_by_default(client, village):
    story = f.story(village_=village)
    html = client.get(reverse("promotion:story", args=[story.slug])).content.decode()
    assert 'lang="zh-hans"' in html


def test_drafts_are_not_found_except_by_those_who_may_publish_them(client, village):
    author, officer, operator, stranger = f.user(), f.user(), f.staff_user(), f.user()
    f.ngo(villages=[village], staff=[officer])
    draft = f.story(village_=village, published=False, author=author, title="还没写完")
    assert draft.status == ContentStatus.DRAFT
    path = reverse("promotion:story", args=[draft.slug])

    assert client.get(path).status_code == 404
    client.force_login(stranger)
    assert client.get(path).status_code == 404
    for user in (author, officer, operator):
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200 and "还没写完" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    assert client.get(reverse("promotion:story", args=["no-such-story"])).status_code == 404


def test_the_shop_links_to_the_feed(client):
    assert f'href="{reverse("promotion:feed")}"' in client.get("/").content.decode()
