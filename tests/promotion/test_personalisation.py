"""The law's switch and labels: personalised recommendation is on by default, one easy switch on
the feed turns it off (China's algorithmic recommendation rules, 2022, art. 16-17), the choice
follows an account to its other browsers, and each organic card says why it is shown while
promoted cards keep their 广告 label."""

import datetime
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from promotion import personalisation
from promotion.feed_reader import REASON_KINDS, Reason
from promotion.models import ProductFeedStats, ReaderChoice
from shop.models import Product
from tests import factories as f
from tests.promotion.test_affinities import PHONE_BROWSER

pytestmark = pytest.mark.django_db
SWITCH = reverse("promotion:personalisation")
FEED = reverse("promotion:feed")


def request_with(cookies=None, user=None):
    request = RequestFactory().get(FEED)
    request.COOKIES.update(cookies or {})
    request.user = user or AnonymousUser()
    return request


def switch(client, value):
    return client.post(SWITCH, {"personal": value})


def switch_state(html: str) -> tuple[str, str, str]:
    """The switch as shown: its state, the value its button sends, and the sentence under it."""
    form = re.search(r'<form class="feed-personal" method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    assert form, "no personalisation switch on the feed page"
    assert form.group(1) == SWITCH
    body = form.group(2)
    assert 'name="csrfmiddlewaretoken"' in body
    state = re.search(r"<strong>(.*?)</strong>", body).group(1)
    sends = re.search(r'<input type="hidden" name="personal" value="(\w+)">', body).group(1)
    hint = re.search(r'<p class="feed-personal-hint">(.*?)</p>', body, re.S).group(1)
    return state, sends, hint


def cards(html: str) -> list[dict]:
    listing = re.search(r'<ul class="cards feed">(.*?)</ul>', html, re.S)
    assert listing, "no feed list on the page"
    found = []
    for chunk in listing.group(1).split('<li class="card')[1:]:
        badge = re.search(r'<p class="card-badge">(.*?)</p>', chunk, re.S)
        note = re.search(r'<p class="card-note">(.*?)</p>', chunk, re.S)
        found.append(
            {
                "promoted": "card-promoted" in chunk.split(">", 1)[0],
                "name": re.search(r"<h3>(.*?)</h3>", chunk).group(1),
                "badge": badge.group(1).strip() if badge else None,
                "note": note.group(1).strip() if note else None,
            }
        )
    return found


# --- enabled(request) --------------------------------------------------------------------------


def test_on_by_default():
    assert personalisation.enabled(request_with()) is True
    assert personalisation.enabled(request_with(user=f.user())) is True


def test_the_browsers_cookie_turns_it_off_for_anyone():
    assert personalisation.enabled(request_with({personalisation.COOKIE: "0"})) is False
    assert personalisation.enabled(request_with({personalisation.COOKIE: "0"}, user=f.user())) is False
    assert personalisation.enabled(request_with({personalisation.COOKIE: "1"})) is True


def test_an_accounts_saved_choice_decides_over_the_browsers_cookie():
    user = f.user()
    ReaderChoice.objects.create(user=user, personalised=False)
    assert personalisation.enabled(request_with(user=user)) is False
    ReaderChoice.objects.filter(user=user).update(personalised=True)
    assert personalisation.enabled(request_with({personalisation.COOKIE: "0"}, user=user)) is True
    assert personalisation.enabled(request_with({personalisation.COOKIE: "0"})) is False, "signed out: the cookie"


# --- the switch --------------------------------------------------------------------------------


def test_switching_off_and_on_in_a_browser_without_an_account(client):
    response = switch(client, "off")

    assert response.status_code == 302 and response["Location"] == FEED
    assert client.cookies[personalisation.COOKIE].value == "0"
    assert client.cookies[personalisation.COOKIE]["httponly"]
    assert not ReaderChoice.objects.exists()
    state, sends, _ = switch_state(client.get(FEED).content.decode())
    assert (state, sends) == ("关", "on")

    response = switch(client, "on")
    assert response.status_code == 302 and response["Location"] == FEED
    state, sends, _ = switch_state(client.get(FEED).content.decode())
    assert (state, sends) == ("开", "off")


def test_an_accounts_choice_follows_it_to_another_browser():
    user = f.user()
    phone, computer = Client(), Client()
    phone.force_login(user)
    computer.force_login(user)

    switch(phone, "off")

    assert ReaderChoice.objects.get(user=user).personalised is False
    assert personalisation.COOKIE not in computer.cookies
    assert switch_state(computer.get(FEED).content.decode())[0] == "关", "the other browser follows the account"

    switch(computer, "on")  # and back, from the other browser
    assert ReaderChoice.objects.get(user=user).personalised is True
    assert phone.cookies[personalisation.COOKIE].value == "0", "the phone still holds its old cookie"
    assert switch_state(phone.get(FEED).content.decode())[0] == "开", "the account's latest choice wins"


def test_the_switch_refuses_a_post_without_the_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    user = f.user()
    browser.force_login(user)

    forged = browser.post(SWITCH, {"personal": "off"})

    assert forged.status_code == 403
    assert personalisation.COOKIE not in forged.cookies
    assert not ReaderChoice.objects.exists()

    html = browser.get(FEED).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    sent = browser.post(SWITCH, {"personal": "off", "csrfmiddlewaretoken": token})
    assert sent.status_code == 302 and sent["Location"] == FEED
    assert ReaderChoice.objects.get(user=user).personalised is False


def test_the_switch_takes_only_a_post_of_on_or_off(client):
    assert client.get(SWITCH).status_code == 405
    response = client.post(SWITCH, {"personal": "maybe"})
    assert response.status_code == 400
    assert response.content.decode() == "请选择开或关。"
    assert personalisation.COOKIE not in response.cookies
    assert client.post(SWITCH).status_code == 400


def test_turning_off_sends_the_readers_keys_so_their_stored_profile_is_deleted(
    client, django_capture_on_commit_callbacks
):
    user = f.user()
    client.force_login(user)
    client.cookies["shanhuo_viewer"] = "a" * 32  # the browser's viewer cookie (core.viewers)
    sent = []

    def receiver(sender, viewer_keys, **kwargs):
        sent.append(viewer_keys)

    personalisation.personalisation_turned_off.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            switch(client, "on")
        assert sent == [], "turning on deletes nothing"
        with django_capture_on_commit_callbacks(execute=True):
            switch(client, "off")
    finally:
        personalisation.personalisation_turned_off.disconnect(receiver)
    assert sent == [[f"u:{user.pk}", "c:" + "a" * 32]]


# --- the switch on the feed page ---------------------------------------------------------------


def test_the_feed_page_shows_the_switch_in_chinese_and_says_what_it_means(client):
    f.product(name="高山绿茶")

    html = client.get(FEED).content.decode()  # Chinese: the site's default

    assert "个性化推荐：" in html
    state, sends, hint = switch_state(html)
    assert (state, sends) == ("开", "off")
    assert "关掉" in html
    assert hint == "这一页按您看过、买过的商品排顺序；关掉后，您看到的顺序和大家一样。"

    switch(client, "off")
    html = client.get(FEED).content.decode()
    state, sends, hint = switch_state(html)
    assert (state, sends) == ("关", "on")
    assert "打开" in html
    assert hint == "这一页的顺序对大家都一样，不看您看过、买过什么。"


# --- reason_text -------------------------------------------------------------------------------

REASONS_ZH = {
    "category": (Reason("category", "苹果"), "因为您看过 苹果"),
    "village": (Reason("village", "十八洞村"), "您看过 十八洞村 的商品"),
    "farmer": (Reason("farmer", "龙大姐"), "您看过 龙大姐 的商品"),
    "province": (Reason("province", "湖南省"), "离您近：湖南省"),
    "new": (Reason("new"), "新上架，看的人还少"),
    "popular": (Reason("popular"), "很多人喜欢"),
    "fresh": (Reason("fresh"), "刚上架"),
}


def test_every_reason_kind_has_a_line():
    assert set(REASONS_ZH) == set(REASON_KINDS)


@pytest.mark.parametrize("kind", REASON_KINDS)
def test_reason_text_in_chinese(kind):
    reason, expected = REASONS_ZH[kind]
    with translation.override("zh-hans"):
        assert personalisation.reason_text(reason) == expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (Reason("category"), "和您看过的商品同类"),
        (Reason("village"), "来自您看过的村"),
        (Reason("farmer"), "来自您看过的农户"),
        (Reason("province"), "离您近"),
    ],
)
def test_reason_text_without_a_name(reason, expected):
    with translation.override("zh-hans"):
        assert personalisation.reason_text(reason) == expected


def test_reason_text_in_english_and_an_unknown_kind():
    with translation.override("en"):
        assert personalisation.reason_text(Reason("category", "Apples")) == "Because you looked at Apples"
    with pytest.raises(ValueError, match="unknown reason kind"):
        personalisation.reason_text(Reason("secret"))


# --- the "why this" line on the feed's cards ---------------------------------------------------


def looked_at_tea(client, teas):
    """The reader (this client) opens a tea's page, as a shopper would. The goods are listed long
    ago and seen often enough that ranking gives none of them an exploration slot ("new"), so the
    reason ranking gives each tea is the reader's interest in teas."""
    long_ago = timezone.now() - datetime.timedelta(days=60)
    Product.objects.update(created_at=long_ago)
    ProductFeedStats.objects.bulk_create([ProductFeedStats(product=p, impressions=500) for p in Product.objects.all()])
    page = reverse("shop:product", args=[teas[0].slug])
    client.defaults["HTTP_USER_AGENT"] = PHONE_BROWSER  # a browser, not a bot
    client.get(page)  # a first visit: the viewer cookie
    client.get(page)  # counted


@pytest.fixture
def ranked_by_category(client, tea_feed):
    looked_at_tea(client, tea_feed[0])


def tea_shelf(category="茶叶", sponsor="山路公益基金会"):
    """Six teas and, listed first (so oldest), one promoted product: the fifth card is the ad."""
    tea = f.category(name=category)
    farmer = f.farmer()
    promoted = f.product(seller=farmer, name="推荐的蜂蜜")
    teas = [f.product(seller=farmer, category_=tea, name=f"高山绿茶{n}") for n in range(6)]
    f.campaign(f.sponsor(name=sponsor), products=[promoted])
    return teas, promoted


@pytest.fixture
def tea_feed():
    return tea_shelf()


def test_organic_cards_say_why_and_promoted_ones_keep_only_their_ad_label(client, ranked_by_category, tea_feed):
    teas, promoted = tea_feed

    found = cards(client.get(FEED).content.decode())

    organic = [c for c in found if not c["promoted"]]
    ads = [c for c in found if c["promoted"]]
    assert all(c["note"] == "因为您看过 茶叶" for c in organic)
    assert sorted(c["name"] for c in organic) == sorted(t.name for t in teas)
    assert len(ads) == 1 and ads[0]["name"] == promoted.name
    assert ads[0]["badge"] == "广告 · 山路公益基金会"
    assert ads[0]["note"] is None, "a promoted card says why through its 广告 label only"


def test_with_the_switch_off_no_card_says_why_and_the_ad_is_still_labelled(client, ranked_by_category, tea_feed):
    switch(client, "off")

    found = cards(client.get(FEED).content.decode())

    assert len(found) == 7 and all(c["note"] is None for c in found)
    assert [c["badge"] for c in found if c["promoted"]] == ["广告 · 山路公益基金会"]


def test_a_sponsors_and_a_categorys_markup_is_shown_as_text(client):
    """The why line and the 广告 label are put into the cards' cached HTML per request
    (promotion.feed_cache.page_cards): names come from sellers and sponsors, so they are escaped."""
    teas, _promoted = tea_shelf(category="<i>茶</i>&叶", sponsor='山路"<b>基金会</b>')
    looked_at_tea(client, teas)

    html = client.get(FEED).content.decode()

    found = cards(html)
    assert {c["note"] for c in found if not c["promoted"]} == {"因为您看过 &lt;i&gt;茶&lt;/i&gt;&amp;叶"}
    assert [c["badge"] for c in found if c["promoted"]] == ["广告 · 山路&quot;&lt;b&gt;基金会&lt;/b&gt;"]
    assert "<b>" not in html and "<i>" not in html
