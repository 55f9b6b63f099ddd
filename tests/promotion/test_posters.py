"""The share poster: a 750×1200 PNG of goods on sale with their photo, name, price and village in
legible Chinese, and a QR code that reads back as the viewer's own absolute share link."""

import io
import secrets
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image, ImageFont

from core.viewers import VIEWER_COOKIE
from farmers.models import VerificationState
from farmers.verification import change_verification_state
from promotion import posters
from promotion.models import ShareLink
from shop import catalog
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _browser_with_viewer_cookie(client):
    """A browser that keeps cookies and has been here before: the poster is drawn at once (a first
    visit without the viewer cookie is sent back to get it; see test_a_client_without_cookies_...)."""
    client.cookies[VIEWER_COOKIE] = secrets.token_hex(16)


NON_CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def poster_url(product) -> str:
    return reverse("promotion:poster", kwargs={"slug": product.slug})


def open_png(response) -> Image.Image:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    image.load()
    return image


def read_qr(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_poster_is_a_phone_sized_png_whose_qr_code_is_the_viewers_share_link(client):
    product = f.product(name="高山核桃")
    image = open_png(client.get(poster_url(product)))
    assert image.size == (posters.WIDTH, posters.HEIGHT) == (750, 1200)
    link = ShareLink.objects.get(product=product)
    assert read_qr(image) == [f"http://testserver/s/{link.token}"]
    # The link in the code leads to the goods.
    landed = client.get(f"/s/{link.token}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile Safari/604.1")
    assert landed["Location"] == reverse("shop:product", kwargs={"slug": product.slug})


def test_each_viewer_gets_a_poster_with_their_own_link(client, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.example.org"]
    product = f.product()
    shopper = f.user()
    anonymous_qr = read_qr(open_png(client.get(poster_url(product))))
    client.force_login(shopper)
    signed_in_qr = read_qr(open_png(client.get(poster_url(product), HTTP_HOST="shop.example.org")))
    link = ShareLink.objects.get(sharer=shopper)
    assert signed_in_qr == [f"http://shop.example.org/s/{link.token}"] != anonymous_qr


def test_the_font_draws_chinese_not_missing_glyph_boxes():
    path = posters.find_font()
    assert path is not None, "no CJK font: apt-get install fonts-noto-cjk"
    font = posters.load_font(path, 40)
    assert posters.has_glyph(font, "村") and posters.has_glyph(font, "货")
    assert not posters.has_glyph(font, posters.NO_GLYPH)
    # Drawn 村 is neither blank nor the box the font draws for a character it lacks.
    drawn, box = posters._rendering(font, "村"), posters._rendering(font, posters.NO_GLYPH)
    assert drawn.getbbox() and drawn.tobytes() != box.tobytes()


@pytest.mark.skipif(not Path(NON_CJK_FONT).exists(), reason="DejaVu Sans is not installed")
def test_a_font_without_chinese_is_not_used():
    assert not posters.has_glyph(ImageFont.truetype(NON_CJK_FONT, 40), "村")
    assert posters._face_index(NON_CJK_FONT) is None


def test_the_name_price_and_village_are_drawn_in_the_text_area():
    font = posters.find_font()
    content = posters.PosterContent(
        name="高山核桃",
        price="¥12.80 起",
        place="云南省 · 勐腊县 · 曼庄村",
        caption="长按识别二维码",
        note="看看村里的这件好物",
        brand="山货",
        share_url="http://testserver/s/abc",
        photo=None,
    )
    drawn = Image.open(io.BytesIO(posters.draw_poster(content, font))).convert("L")
    text_area = (posters.MARGIN, posters.MARGIN + posters.PHOTO_HEIGHT + 20, posters.WIDTH - posters.MARGIN, 900)
    blank = Image.open(io.BytesIO(posters.draw_poster(_with(content, name="", price="", place=""), font)))
    assert drawn.crop(text_area).getextrema()[0] < 80  # dark ink where the words are
    assert blank.convert("L").crop(text_area).getextrema()[0] > 200  # and only paper without them


def _with(content, **changes):
    from dataclasses import replace

    return replace(content, **changes)


def test_price_is_the_lowest_with_from_when_sizes_differ():
    product = f.product(
        variants=[
            {"name": "1斤装", "price": Decimal("12.80"), "stock": 5, "weight_kg": Decimal("0.5")},
            {"name": "5斤装", "price": Decimal("59.00"), "stock": 5, "weight_kg": Decimal("2.5")},
        ]
    )
    single = f.product(variants=[{"name": "5斤装", "price": Decimal("39.9"), "stock": 5, "weight_kg": Decimal("2.5")}])
    with translation.override("zh-hans"):
        assert posters.price_text(product) == "¥12.80 起"
        assert posters.price_text(single) == "¥39.90"
    with translation.override("en"):
        assert posters.price_text(product) == "from ¥12.80"


def test_the_words_are_public_facts_only():
    farmer = f.farmer(name="王秀英", phone="13912345678", id_number="532622199001011234")
    product = f.product(seller=farmer)
    with translation.override("zh-hans"):
        content = posters.poster_content(product, "http://testserver/s/abc")
    village = product.village
    assert content.place == f"{village.county.province.name} · {village.county.name} · {village.name}"
    assert (content.name, content.caption) == (product.name, "长按识别二维码")
    words = " ".join([content.name, content.price, content.place, content.caption, content.note, content.brand])
    for private in (farmer.phone, farmer.id_number, farmer.name):
        assert private not in words


def test_the_first_processed_photo_fills_the_top(client, django_capture_on_commit_callbacks):
    farmer = f.farmer()
    product = f.product(seller=farmer)
    with django_capture_on_commit_callbacks(execute=True):
        upload = SimpleUploadedFile("p.jpg", f.image_bytes(size=(800, 600), color=(30, 140, 60)), "image/jpeg")
        catalog.add_product_image(farmer.user, product, upload)
    image = open_png(client.get(poster_url(product))).convert("RGB")
    middle = (posters.WIDTH // 2, posters.MARGIN + posters.PHOTO_HEIGHT // 2)
    assert all(abs(a - b) < 12 for a, b in zip(image.getpixel(middle), (30, 140, 60), strict=True))

    without_photo = open_png(client.get(poster_url(f.product()))).convert("RGB")
    assert without_photo.getpixel((100, 100)) == posters.PLACEHOLDER  # a plain frame


@pytest.mark.parametrize("hide", ["draft", "suspended_seller", "unknown"])
def test_goods_not_on_sale_have_no_poster(client, hide):
    if hide == "draft":
        product = f.product(published=False)
        client.force_login(product.farmer.user)  # not even for its own seller: the link would lead nowhere
        url = poster_url(product)
    elif hide == "suspended_seller":
        product = f.product()
        change_verification_state(product.farmer, VerificationState.SUSPENDED, by=f.staff_user(), reason="投诉")
        url = poster_url(product)
    else:
        url = "/p/no-such-goods/poster.png"
    assert client.get(url).status_code == 404
    assert not ShareLink.objects.exists()


def test_without_a_chinese_font_the_poster_says_how_to_install_one(client, settings, tmp_path):
    product = f.product()
    not_a_font = tmp_path / "font.ttc"
    not_a_font.write_bytes(b"not a font")
    for path in (str(tmp_path / "missing.ttc"), str(not_a_font)):
        settings.POSTER_FONT = path
        response = client.get(poster_url(product))
        assert response.status_code == 503
        assert response["Content-Type"].startswith("text/html")
        assert b"apt-get install fonts-noto-cjk" in response.content and b"POSTER_FONT" in response.content
    settings.POSTER_FONT = posters.FONT_CANDIDATES[0]
    if posters.find_font():
        assert client.get(poster_url(product)).status_code == 200


def test_a_poster_is_drawn_once_then_served_from_the_cache_until_the_product_changes(client):
    product = f.product()
    first = client.get(poster_url(product)).content
    link = ShareLink.objects.get()
    product.refresh_from_db()
    key = posters.cache_key(product, link, posters.poster_content(product, f"http://testserver/s/{link.token}"))
    assert cache.get(key) == first
    cache.set(key, b"cached bytes")
    assert client.get(poster_url(product)).content == b"cached bytes"  # not drawn again

    catalog.update_product(product.farmer.user, product, name="新的名字")
    redrawn = client.get(poster_url(product)).content
    assert redrawn != b"cached bytes" and redrawn != first
    Image.open(io.BytesIO(redrawn)).verify()


def test_the_product_page_links_the_poster_of_goods_on_sale(client):
    product = f.product()
    page = client.get(reverse("shop:product", kwargs={"slug": product.slug}))
    assert f'href="{poster_url(product)}"'.encode() in page.content
    assert "分享海报".encode() in page.content

    draft = f.product(published=False)
    client.force_login(draft.farmer.user)
    page = client.get(reverse("shop:product", kwargs={"slug": draft.slug}))
    assert page.status_code == 200 and poster_url(draft).encode() not in page.content


def test_the_system_check_warns_when_no_chinese_font_is_found(settings, tmp_path):
    from promotion.checks import poster_font

    settings.POSTER_FONT = str(tmp_path / "missing.ttc")
    [warning] = poster_font(None)
    assert warning.id == "promotion.W001" and "fonts-noto-cjk" in warning.hint
    settings.POSTER_FONT = ""
    assert posters.find_font() is not None and poster_font(None) == []


def test_a_client_without_cookies_makes_no_share_link_and_a_browser_gets_its_poster(client):
    from django.test import Client

    from promotion.models import ShareLink

    product = f.product()
    crawler = Client()
    for _ in range(3):
        response = crawler.get(poster_url(product))
        assert response.status_code == 302 and response["Location"] == poster_url(product)
        crawler.cookies.clear()  # it keeps none
    assert not ShareLink.objects.exists()
    browser = Client()
    assert open_png(browser.get(poster_url(product), follow=True)).size == (750, 1200)
    assert ShareLink.objects.count() == 1
