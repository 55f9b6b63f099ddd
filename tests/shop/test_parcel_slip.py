"""The printable parcel slip (/farmer/orders/parcels/<pk>/slip/): only the parcel's own seller (or
staff) may open it; it says where the parcel goes and what is in it, and each line's QR code, decoded
from the page's own SVG, is the absolute URL of that line's provenance page."""

import io
import re

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image

from shop import provenance
from shop.models import OrderLine
from tests import factories as f
from tests.shop import buying

pytestmark = pytest.mark.django_db

SVG = re.compile(r'<svg viewBox="0 0 (\d+) (\d+)" class="qr">(.*?)</svg>', re.S)
PATH_STEP = re.compile(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?")


def decode_svg_qr(svg_size: int, body: str) -> str:
    """Draw segno's SVG path (rows of horizontal runs: M/m moves, h runs) as pixels and read it."""
    scale = 6
    image = Image.new("L", (svg_size * scale, svg_size * scale), 255)
    pixels = image.load()
    x = y = 0.0
    for path in re.findall(r' d="([^"]+)"', body):
        for command, first, second in PATH_STEP.findall(path):
            if command == "M":
                x, y = float(first), float(second)
            elif command == "m":
                x, y = x + float(first), y + float(second)
            else:
                run = float(first)
                row = int(y)  # a run is drawn along the middle of its row (y + 0.5)
                for column in range(int(x), int(x + run)):
                    for dx in range(scale):
                        for dy in range(scale):
                            pixels[column * scale + dx, row * scale + dy] = 0
                x += run
    png = io.BytesIO()
    image.save(png, "PNG")
    png.seek(0)
    (found,) = zxingcpp.read_barcodes(Image.open(png))
    return found.text


@pytest.fixture
def parcel():
    """龙大姐's parcel of an order with two of her goods, to 李雷 in 广州."""
    farmer = f.farmer(name="龙大姐")
    kiwi = buying.variant(price="39.90", seller=farmer, name="红心猕猴桃")
    honey = buying.variant(price="58.00", seller=farmer, name="土蜂蜜", weight_kg="1")
    other = buying.variant(price="12.50", name="腊肉", weight_kg="0.8")  # another farmer's parcel
    order = buying.place_order([(kiwi, 2), (honey, 1), (other, 1)])
    return order.fulfilments.get(farmer=farmer)


def slip_url(parcel) -> str:
    return reverse("seller:order_slip", args=[parcel.pk])


def test_the_seller_gets_a_slip_with_the_address_and_a_qr_code_per_line(client, parcel):
    client.force_login(parcel.farmer.user)
    response = client.get(slip_url(parcel))
    assert response.status_code == 200
    page = response.content.decode()
    order = parcel.order
    for shown in (order.number, order.recipient, order.phone, order.address_line, "红心猕猴桃", "土蜂蜜", "× 2"):
        assert shown in page, shown
    assert "腊肉" not in page  # the other farmer's goods are in their own parcel
    assert "@page" in page and "@media print" in page
    assert page.count("扫码看这份山货的来历") == 2

    codes = SVG.findall(page)
    lines = list(OrderLine.objects.filter(fulfilment=parcel).order_by("pk"))
    assert len(codes) == len(lines) == 2
    decoded = [decode_svg_qr(int(width), body) for width, _height, body in codes]
    expected = [
        f"http://testserver{reverse('shop:provenance', args=[provenance.provenance_token(line)])}" for line in lines
    ]
    assert decoded == expected
    for url, line in zip(decoded, lines, strict=True):
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert provenance.line_for_token(token) == line
        assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_the_qr_code_carries_the_sites_host(client, parcel, settings):
    settings.ALLOWED_HOSTS = ["shanhuo.example"]
    client.force_login(parcel.farmer.user)
    page = client.get(slip_url(parcel), HTTP_HOST="shanhuo.example", secure=True).content.decode()
    width, _height, body = SVG.findall(page)[0]
    assert decode_svg_qr(int(width), body).startswith("https://shanhuo.example/t/")


def test_another_farmer_cannot_see_the_slip(client, parcel):
    client.force_login(f.farmer().user)
    assert client.get(slip_url(parcel)).status_code == 404


def test_a_shopper_is_refused_and_an_anonymous_visitor_sent_to_log_in(client, parcel):
    client.force_login(f.user())
    assert client.get(slip_url(parcel)).status_code == 403
    client.logout()
    response = client.get(slip_url(parcel))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_staff_and_the_farmers_cooperative_manager_may_print_it(client):
    manager = f.user()
    coop = f.cooperative(manager=manager)
    member = f.farmer(cooperative=coop)
    order = buying.place_order([(buying.variant(seller=member), 1)])
    parcel = order.fulfilments.get()
    client.force_login(manager)
    assert client.get(slip_url(parcel)).status_code == 200
    client.force_login(f.staff_user())
    assert client.get(slip_url(parcel)).status_code == 200


def test_the_orders_page_links_each_parcel_to_its_slip(client, parcel):
    client.force_login(parcel.farmer.user)
    page = client.get(reverse("seller:orders")).content.decode()
    assert f'href="{slip_url(parcel)}"' in page


def test_a_refunded_line_is_left_off_the_slip(client, parcel):
    from payments.shopper_payments import confirm_offline_payment, refund_payment

    confirm_offline_payment(f.staff_user(), parcel.order.payment)
    honey = OrderLine.objects.get(fulfilment=parcel, product_name="土蜂蜜")
    refund_payment(f.staff_user(), parcel.order.payment, [honey], reason="缺货")
    client.force_login(parcel.farmer.user)
    page = client.get(slip_url(parcel)).content.decode()
    assert "红心猕猴桃" in page and "土蜂蜜" not in page
    assert len(SVG.findall(page)) == 1
