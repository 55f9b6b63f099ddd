"""A shopper on a 360 px phone opens the feed, reads a story, sees the promoted card marked as an ad
(广告 · sponsor, legible: 12 px or more, contrast 4.5:1 or more) and follows it to the goods."""

import re
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


# The badge's computed size, colours and place: what a shopper's browser draws.
BADGE_STYLE = """el => {
  const style = getComputedStyle(el), box = el.getBoundingClientRect();
  return {fontSize: parseFloat(style.fontSize), color: style.color, background: style.backgroundColor,
          left: box.left, right: box.right};
}"""


def contrast(color: str, background: str) -> float:
    """WCAG 2 contrast ratio of two opaque CSS rgb() colours."""

    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert background.startswith("rgb(") and color.startswith("rgb("), (color, background)  # opaque, no alpha
    light, dark = sorted((luminance(color), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


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
        badge = card.locator(".card-badge")
        assert badge.inner_text() == "广告 · 山路公益基金会"
        assert badge.is_visible()
        looks = badge.evaluate(BADGE_STYLE)
        assert looks["fontSize"] >= 12, looks
        assert contrast(looks["color"], looks["background"]) >= 4.5, looks
        assert looks["right"] <= PHONE["width"] and looks["left"] >= 0, "the whole label is on the screen"
        badge.screenshot(path=output_dir / "ad-badge.png")
        assert card.locator("a[rel='sponsored nofollow']").first.get_attribute("href").startswith("/r/")
        card.locator("h3").click()
        page.wait_for_url("**/p/**")
        assert page.locator("h1").inner_text() == promoted.name
    finally:
        context.close()

    click = Click.objects.get()
    assert click.campaign_id == campaign.pk and click.outcome == ClickOutcome.BILLED
