"""From sign-up to a visible listing, in a real browser, as the people who will do it.

A farmer on a 360 px phone signs up in Chinese, lists a product with a photo from disk and sees it
waiting; an NGO officer logs in and verifies the farmer; the product then appears in the public
catalog (GraphQL over HTTP, as an anonymous app), with its photo cleaned of its GPS position.
"""

import io

import pytest
from PIL import Image

from farmers.models import Farmer, VerificationState
from shop.models import Product
from tests import factories as f
from tests.core.test_images import phone_exif

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG = """{ products(first: 10) { edges { node { name minPrice farmer { name phone }
  variants { name price stock } images { url(size: LARGE) } village { name } } } } }"""


def submit(page):
    """The page's own form (the header also holds the language and log-out forms)."""
    page.locator("main form[method=post] button[type=submit]").last.click()


def test_farmer_signs_up_lists_and_goes_live_once_verified(live_server, phone, browser, output_dir, tmp_path):
    village = f.village(name="十八洞村")
    officer = f.user(username="officer-wang")
    officer.set_password("ngo-officer-2026")
    officer.save()
    f.ngo(villages=[village], staff=[officer])
    kiwi = f.category(name="猕猴桃", parent=f.category(name="水果"))
    photo = tmp_path / "kiwi.jpg"
    Image.new("RGB", (640, 480), (90, 140, 40)).save(photo, "JPEG", exif=phone_exif())

    page = phone.new_page()

    # The farmer signs up, in Chinese, with a phone number typed the way people type it.
    page.goto(live_server.url + "/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_phone", "139 1234 5678")
    page.fill("#id_name", "龙大姐")
    page.select_option("#id_village", str(village.pk))
    page.fill("#id_password1", "kiwi-orchard")
    page.fill("#id_password2", "kiwi-orchard")
    submit(page)
    page.wait_for_url("**/farmer/products/")
    farmer = Farmer.objects.get(phone="13912345678")
    assert farmer.verification_state == VerificationState.PENDING and farmer.village == village

    # …lists a product with a photo from disk, on the one short form.
    page.goto(live_server.url + "/farmer/products/new/")
    page.fill("#id_name", "十八洞猕猴桃")
    page.select_option("#id_category", str(kiwi.pk))
    page.set_input_files("#id_photo", str(photo))
    page.fill("#id_harvest_date", "2026-11-01")
    page.fill("#id_description", "山上种的，酸甜。")
    page.fill("#id_variants-0-name", "5斤装")
    page.fill("#id_variants-0-price", "39.90")
    page.fill("#id_variants-0-weight", "5")
    page.fill("#id_variants-0-stock", "20")
    page.screenshot(path=output_dir / "listing-form-360px.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the form scrolls sideways at 360 px"
    small = page.evaluate(
        "[...document.querySelectorAll('header a, header select, nav.account a, nav.account button')]"
        ".filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 60))"
    )
    assert small == [], f"touch targets under 44 px: {small}"
    submit(page)
    page.wait_for_url("**/farmer/products/")
    assert "十八洞猕猴桃" in page.inner_text("main")
    assert "等您通过审核" in page.inner_text("main"), "the farmer reads that it waits for verification"
    product = Product.objects.get(name="十八洞猕猴桃")
    assert (product.is_published, product.publish_when_verified) == (False, True)
    page.screenshot(path=output_dir / "my-products-pending-360px.png", full_page=True)

    anonymous = browser.new_context()
    assert catalog(anonymous, live_server) == [], "a pending farmer's product is not public"

    # The NGO officer logs in and verifies the farmer.
    page.locator("nav.account form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "officer-wang")
    page.fill("#id_password", "ngo-officer-2026")
    submit(page)
    page.wait_for_url("**/ngo/")
    page.get_by_role("link", name="龙大姐").click()
    page.wait_for_url(f"**/ngo/farmers/{farmer.pk}/")
    assert "13912345678" in page.inner_text("main"), "the covering NGO sees the phone number"
    page.locator("form:has(input[name=to_state][value=verified]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.VERIFIED
    assert farmer.state_changes.get().changed_by == officer

    # The product is now in the public catalog, with a clean photo and no personal data.
    [node] = catalog(anonymous, live_server)
    assert node["name"] == "十八洞猕猴桃" and node["minPrice"] == "39.90"
    assert node["farmer"] == {"name": "龙大姐", "phone": None}
    assert node["variants"] == [{"name": "5斤装", "price": "39.90", "stock": 20}]
    image = anonymous.request.get(node["images"][0]["url"])
    assert image.ok
    served = Image.open(io.BytesIO(image.body()))
    assert served.size == (480, 640), "turned upright by its EXIF orientation"
    assert not served.getexif(), "no EXIF (GPS) reaches shoppers"
    anonymous.close()


def catalog(context, live_server):
    response = context.request.post(live_server.url + "/graphql/", data={"query": CATALOG})
    body = response.json()
    assert response.ok and "errors" not in body, body
    return [edge["node"] for edge in body["data"]["products"]["edges"]]
