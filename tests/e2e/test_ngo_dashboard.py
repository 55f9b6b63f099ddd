"""An NGO officer opens the impact dashboard on a 360 px phone: the figures' charts are drawn,
nothing scrolls sideways, axe finds nothing serious; the village page and a drill-down too."""

import pytest

from tests.e2e.accessibility import assert_accessible, assert_inputs_labelled
from tests.impact.conftest import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_ngo_dashboard_on_a_phone(live_server, phone, output_dir, settings):
    settings.PAYOUT_MINIMUM = "1.00"
    world = build_world()
    world.officer_a.username = "officer-li"
    world.officer_a.set_password("ngo-officer-2026")
    world.officer_a.save()

    page = phone.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "officer-li")
    page.fill("#id_password", "ngo-officer-2026")
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/ngo/impact/?period={world.period_text}")
    assert page.locator("h1").inner_text() == "我们村的成效"
    charts = page.locator("svg.chart")
    assert charts.count() >= 10
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 80, "a chart is not drawn"
        assert box["x"] + box["width"] <= 360
    assert page.locator("svg.chart rect.chart-bar").count() > 0, "no bars drawn"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the dashboard scrolls sideways at 360 px"
    assert world.village_a.name in page.inner_text("main")
    assert world.village_b.name not in page.inner_text("main")
    assert_inputs_labelled(page)
    assert_accessible(page, "ngo-dashboard", output_dir)
    page.screenshot(path=output_dir / "ngo-dashboard-360px.png", full_page=True)

    page.locator(f"a[href^='/ngo/impact/villages/{world.village_a.pk}/']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the village page scrolls sideways"
    assert_accessible(page, "ngo-village", output_dir)

    page.goto(f"{live_server.url}/ngo/impact/figures/gross_sales/?period={world.period_text}")
    assert page.locator("#behind-total").inner_text() == page.locator("#figure-value").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the drill-down scrolls sideways"
    assert_accessible(page, "ngo-drill-down", output_dir)
