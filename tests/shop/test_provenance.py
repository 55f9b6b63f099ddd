"""Provenance: the farmer's share of a price is the price less exactly the fee the ledger books; the
product page and each order line's public page (/t/<token>/) show who grew the goods, where, when
and that share, and never anyone's personal data; a forged token is a 404."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from payments import ledger
from payments.shopper_payments import confirm_offline_payment
from shop import provenance
from shop.models import OrderLine
from tests import factories as f
from tests.shop import buying

pytestmark = pytest.mark.django_db

HARVEST = datetime.date(2025, 10, 8)


# --- The share rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "price", "fee"),
    [
        ("0", "39.90", "0.00"),
        ("5", "39.90", "2.00"),  # 1.995 rounds half up
        ("3.5", "39.90", "1.40"),  # 1.3965
        ("3.5", "1.00", "0.04"),  # 0.035: the half goes up
        ("3.5", "10.10", "0.35"),  # 0.3535
        ("2.5", "0.20", "0.01"),  # 0.005
        ("2.5", "0.19", "0.00"),  # 0.00475
        ("10", "12345.67", "1234.57"),
    ],
)
def test_farmer_share_is_the_price_less_the_fee_rounded_half_up_to_the_fen(settings, percent, price, fee):
    settings.PLATFORM_FEE_PERCENT = percent
    share = provenance.farmer_share(Decimal(price))
    assert (share.price, share.fee, share.farmer) == (Decimal(price), Decimal(fee), Decimal(price) - Decimal(fee))
    assert share.fee == ledger.platform_fee(Decimal(price))


@pytest.mark.parametrize(("percent", "price"), [("0", "39.90"), ("3", "33.33"), ("3.5", "39.90"), ("3.5", "1.00")])
def test_the_share_shown_is_what_the_ledger_books_for_the_same_amount(settings, percent, price):
    """A one-line order paid: the fee the ledger books (on the line and in the fee account) is the
    fee `farmer_share` states for the same goods, and what the farmer is owed for the goods is the
    share."""
    settings.PLATFORM_FEE_PERCENT = percent
    variant = buying.variant(price=price, weight_kg="0.5")
    order = buying.place_order([(variant, 1)])
    confirm_offline_payment(f.staff_user(), order.payment)
    line = OrderLine.objects.select_related("order").get(order=order)

    stated = provenance.farmer_share(order.subtotal)
    assert line.platform_fee == stated.fee
    assert -ledger.balance(ledger.fee_account()) == stated.fee
    farmer = variant.product.farmer
    assert ledger.owed_to(farmer) - order.fulfilments.get().shipping_price == stated.farmer
    assert provenance.line_share(line) == stated


def test_a_paid_line_shows_its_booked_fee_and_an_unpaid_one_the_computed_fee(settings):
    """The booked fee is the order's fee split over its lines, which can differ from the fee on the
    line alone by a fen: a paid line's page states the booked one."""
    settings.PLATFORM_FEE_PERCENT = "3"
    a, b, c = (buying.variant(price="33.33", weight_kg="0.5") for _ in range(3))
    order = buying.place_order([(a, 1), (b, 1), (c, 1)])  # 3% of 99.99 = 3.00, split 1.00 each
    unpaid = OrderLine.objects.select_related("order").filter(order=order).first()
    assert provenance.line_share(unpaid).fee == Decimal("1.00")  # 3% of 33.33 = 0.9999
    settings.PLATFORM_FEE_PERCENT = "4"  # the setting moves after payment: the booked fee stays
    confirm_offline_payment(f.staff_user(), order.payment)
    settings.PLATFORM_FEE_PERCENT = "0"
    paid = OrderLine.objects.select_related("order").get(pk=unpaid.pk)
    assert paid.platform_fee == Decimal("1.34")  # 4% of 99.99 = 4.00: 1.34, 1.33, 1.33 (the odd fen first)
    share = provenance.line_share(paid)
    assert (share.price, share.fee, share.farmer) == (Decimal("33.33"), Decimal("1.34"), Decimal("31.99"))


@pytest.mark.parametrize(
    ("farmer", "price", "percent"),
    [("37.91", "39.90", "95.0"), ("38.50", "39.90", "96.4"), ("39.90", "39.90", "100.0"), ("0.99", "1.00", "99.0")],
)
def test_the_percentage_is_rounded_down_so_it_never_overstates(farmer, price, percent):
    share = provenance.FarmerShare(price=Decimal(price), fee=Decimal(price) - Decimal(farmer), farmer=Decimal(farmer))
    assert share.percent == Decimal(percent)


# --- Tokens -------------------------------------------------------------------------------------


def test_a_token_names_its_line_and_a_forged_one_names_none():
    order = buying.place_order([(buying.variant(), 1), (buying.variant(), 1)])
    first, second = OrderLine.objects.filter(order=order).order_by("pk")
    token = provenance.provenance_token(first)
    assert len(token) <= 50
    assert provenance.line_for_token(token) == first
    assert provenance.line_for_token(provenance.provenance_token(second)) == second
    value, signature = token.split(":")
    other_value = provenance.provenance_token(second).split(":")[0]
    for forged in (f"{other_value}:{signature}", f"{value}:{signature[:-1]}", value, "", "zz:zz", "a" * 60):
        assert provenance.line_for_token(forged) is None


def test_a_token_signed_for_another_purpose_is_refused():
    from django.core import signing

    line = OrderLine.objects.get(order=buying.place_order([(buying.variant(), 1)]))
    assert provenance.line_for_token(signing.Signer().sign(signing.b62_encode(line.pk))) is None
    assert provenance.line_for_token(signing.Signer(salt="another").sign(signing.b62_encode(line.pk))) is None


# --- The line's public page ---------------------------------------------------------------------


@pytest.fixture
def sold_line(settings):
    """A paid line of 2 × ¥39.90 from 龙大姐 of 猕猴桃村, harvested on 8 October, bought by 李雷."""
    settings.PLATFORM_FEE_PERCENT = "5"
    province_village = f.village(name="猕猴桃村")
    farmer = f.farmer(village_=province_village, name="龙大姐", phone="13912345678", id_number="532601198001011234")
    variant = buying.variant(price="39.90", seller=farmer, name="红心猕猴桃", harvest_date=HARVEST)
    order = buying.place_order([(variant, 2)], email="lilei@example.com")
    confirm_offline_payment(f.staff_user(), order.payment)
    variant.product.harvest_date = datetime.date(2026, 1, 1)  # a later change does not alter the line
    variant.product.save()
    return OrderLine.objects.select_related("order").get(order=order)


def test_the_order_line_keeps_the_harvest_date_it_was_sold_with(sold_line):
    assert sold_line.harvest_date == HARVEST


def test_the_provenance_page_shows_the_goods_the_grower_the_village_and_the_share(client, sold_line):
    url = reverse("shop:provenance", args=[provenance.provenance_token(sold_line)])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    village = sold_line.village
    assert "红心猕猴桃" in page and "5斤装" in page and "龙大姐" in page
    assert f"{village.county.province.name} · {village.county.name} · " in page
    assert f'<a href="{reverse("shop:village", args=[village.slug])}">猕猴桃村</a>' in page
    assert '<time datetime="2025-10-08">2025-10-08</time>' in page
    # 5% of 79.80 = 3.99: the farmer gets 75.81 of 79.80, 95.0%
    assert sold_line.platform_fee == Decimal("3.99")
    assert "¥79.80" in page and "¥75.81" in page and "95%" in page


def test_the_provenance_page_shows_no_personal_data(client, sold_line):
    order = sold_line.order
    farmer = sold_line.farmer
    page = client.get(reverse("shop:provenance", args=[provenance.provenance_token(sold_line)])).content.decode()
    for private in (
        farmer.phone,
        farmer.id_number,
        order.recipient,
        order.phone,
        order.street,
        order.district,
        order.email,
        order.number,
    ):
        assert private and private not in page, private


def test_a_cooperatives_line_names_the_cooperative(client):
    coop = f.cooperative()
    line = OrderLine.objects.get(order=buying.place_order([(buying.variant(seller=coop), 1)]))
    page = client.get(reverse("shop:provenance", args=[provenance.provenance_token(line)])).content.decode()
    assert coop.name in page and "合作社" in page
    assert "未填写" in page  # no harvest date given


@pytest.mark.parametrize("token", ["MQ:forged", "1", "abc:def:ghi", "x" * 80])
def test_a_forged_or_unknown_token_is_a_404(client, token):
    assert client.get(reverse("shop:provenance", args=[token])).status_code == 404


def test_a_token_of_a_deleted_line_is_a_404(client):
    line = OrderLine.objects.get(order=buying.place_order([(buying.variant(), 1)]))
    url = reverse("shop:provenance", args=[provenance.provenance_token(line)])
    OrderLine.objects.filter(pk=line.pk).delete()
    assert client.get(url).status_code == 404


def test_the_template_tags_give_the_path_and_the_share(sold_line):
    rendered = Template(
        "{% load provenance %}{% provenance_path line %}|{% line_share line as s %}{{ s.farmer }}|"
        "{{ s.percent|share_percent }}|{% farmer_share price as p %}{{ p.fee }}"
    ).render(Context({"line": sold_line, "price": Decimal("39.90")}))
    path, farmer, percent, fee = rendered.split("|")
    assert path == reverse("shop:provenance", args=[provenance.provenance_token(sold_line)])
    assert (farmer, percent, fee) == ("75.81", "95", "2.00")


# --- The product page ---------------------------------------------------------------------------


def test_the_product_page_shows_where_it_comes_from_and_the_share_of_the_lowest_price(client, settings):
    settings.PLATFORM_FEE_PERCENT = "5"
    farmer = f.farmer(name="石大哥", phone="13700001111", id_number="532601197001015678")
    product = f.product(
        seller=farmer,
        harvest_date=HARVEST,
        variants=[
            {"name": "10斤装", "price": Decimal("69.00"), "stock": 3, "weight_kg": Decimal("5")},
            {"name": "5斤装", "price": Decimal("39.90"), "stock": 3, "weight_kg": Decimal("2.5")},
        ],
    )
    page = client.get(reverse("shop:product", args=[product.slug])).content.decode()
    village = product.village
    assert "石大哥" in page
    assert f'<a href="{reverse("shop:village", args=[village.slug])}">{village.name}</a>' in page
    assert '<time datetime="2025-10-08">' in page
    assert "每卖 ¥39.90，农户得 ¥37.90（94.9%）" in page  # 5% of 39.90 = 1.995 → 2.00; 94.98% shown as 94.9
    assert farmer.phone not in page and farmer.id_number not in page


def test_the_product_page_of_a_cooperative_says_the_cooperative_gets_it(client, settings):
    settings.PLATFORM_FEE_PERCENT = "3.5"
    product = f.product(seller=f.cooperative())
    page = client.get(reverse("shop:product", args=[product.slug])).content.decode()
    assert "每卖 ¥39.90，合作社得 ¥38.50（96.4%）" in page  # 3.5% of 39.90 = 1.3965 → 1.40
