"""A shopper on a 360 px phone opens the feed, reads a story, and follows a promoted card to the goods."""

from decimal import Decimal

import pytest

from promotion.models import Click, ClickOutcome
from tests import factories as f

from .chromium import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

# An ordinary phone browser: headless Chromium's own user agent counts as a bot, whose clicks are not billed.
PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


def test_shopper_reads_the_feed_and_follows_a_promoted_card(live_server, browser, output_dir):
    village = f.village(name="十八洞村")
    farmer = f.farmer(village_=village, name="龙大姐")
    promoted = f.product(seller=farmer, name="十八洞红心猕猴桃")  # the oldest: not on the first page organically
    for n in range(21):
        f.product(seller=farmer, name=f"山货{n}")
    story = f.story(village_=village, title="十八洞的猕猴桃熟了", body="九月，猕猴桃进入采摘期。")
    campaign = f.campaign(f.sponsor(name="山路公益基金会"), products=[promoted], bid=Decimal("0.50"))

    context = browser.new_context(viewport=PHONE, locale="zh-CN", user_agent=PHONE_BROWSER)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.locator("a.nav-feed").click()
        page.wait_for_url("**/feed/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        page.screenshot(path=output_dir / "feed.png", full_page=True)

        page.locator(".story-card a", has_text=story.title).click()
        page.wait_for_url(f"**/stories/{story.slug}/")
        assert "九月，猕猴桃进入采摘期。" in page.locator("article").inner_text()
        page.go_back()

        card = page.locator(".card-promoted")
        assert card.count() == 1
        assert "山路公益基金会" in card.locator(".card-badge").inner_text()
        assert card.locator("a[rel='sponsored nofollow']").first.get_attribute("href").startswith("/r/")
        card.locator("h3").click()
        page.wait_for_url("**/p/**")
        assert page.locator("h1").inner_text() == promoted.name
    finally:
        context.close()

    click = Click.objects.get()
    assert click.campaign_id == campaign.pk and click.outcome == ClickOutcome.BILLED
