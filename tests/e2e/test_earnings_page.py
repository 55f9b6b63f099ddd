"""The farmer's earnings page on a 360 px phone, in a real browser: the figures are there and
readable, nothing scrolls sideways, and axe finds no serious accessibility violation."""

import pytest
from django.conf import settings
from django.test import Client

from tests.e2e.accessibility import assert_accessible
from tests.shop.test_earnings import known_case  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_earnings_page_at_360_px(live_server, phone, output_dir, known_case):  # noqa: F811
    farmer, (order1, _order2, _order3), _payouts = known_case
    client = Client()
    client.force_login(farmer.user)
    phone.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = phone.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="我的收入").click()  # from the account menu
    page.wait_for_url("**/farmer/earnings/")
    page.screenshot(path=output_dir / "earnings-360px.png", full_page=True)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways at 360 px"
    main = page.inner_text("main")
    for text in ("待打款", "¥142.10", "下次打款", "¥85.60", "已打款（总共）", "¥66.20", "到手", "¥208.30", "BANK-0001"):
        assert text in main, text
    assert order1.number in main
    # Each figure is drawn inside the screen, not cut off at its right edge.
    outside = page.evaluate(
        "[...document.querySelectorAll('.earn-amount, .earn-big')]"
        ".filter(e => { const b = e.getBoundingClientRect(); return b.width < 1 || b.right > 360 || b.left < 0; })"
        ".map(e => e.outerHTML.slice(0, 80))"
    )
    assert outside == [], f"figures outside the screen: {outside}"
    assert_accessible(page, "earnings", output_dir)
