"""`manage.py seed_demo`: the demo has what it promises, runs twice safely, and repeats itself by seed."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils import timezone

from demo import data, seed
from farmers.models import NGO, County, Farmer, FarmerStateChange, Province, VerificationState, Village
from promotion.models import Campaign, CampaignState, ContentImage, ContentItem, ContentStatus, Sponsor, SponsorKind
from shop.models import ImageStatus, Product, ProductImage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """The demo hashes a password or two per run; the production hasher's slowness is on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo(capture, *args) -> str:
    """Run the command and then its on-commit work (photo tasks, file deletions), as a commit would."""
    out = StringIO()
    with capture(execute=True):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "provinces": Province.objects.count(),
        "counties": County.objects.count(),
        "villages": Village.objects.count(),
        "farmers": Farmer.objects.count(),
        "state_changes": FarmerStateChange.objects.count(),
        "ngos": NGO.objects.count(),
        "products": Product.objects.count(),
        "images": ProductImage.objects.count(),
        "users": get_user_model().objects.count(),
        "sponsors": Sponsor.objects.count(),
        "campaigns": Campaign.objects.count(),
        "stories": ContentItem.objects.count(),
        "story_photos": ContentImage.objects.count(),
    }


def catalogue() -> list[tuple]:
    """What a shopper and a farmer would notice, in the order the products were written."""
    return [
        (
            product.name,
            product.category.slug,
            product.village.slug,
            product.seller.name,
            product.is_published,
            [(variant.name, variant.price, variant.stock, variant.weight_kg) for variant in product.variants.all()],
        )
        for product in Product.objects.order_by("id").select_related("category", "village", "farmer", "cooperative")
    ]


def farmers() -> list[tuple]:
    return list(
        Farmer.objects.order_by("id").values_list("name", "phone", "id_number", "village__slug", "verification_state")
    )


def test_demo_then_seeding_again_changes_nothing_and_reset_repeats_it(django_capture_on_commit_callbacks):
    """One test, because each run goes through the real services and costs seconds."""
    output = seed_demo(django_capture_on_commit_callbacks, "--orders", "0", "--seed", "3")

    assert_demo_contents(output)
    seeded, seeded_catalogue, seeded_farmers = counts(), catalogue(), farmers()

    output = seed_demo(django_capture_on_commit_callbacks, "--orders", "0", "--seed", "3")

    assert "already seeded" in output
    assert counts() == seeded

    seed_demo(django_capture_on_commit_callbacks, "--orders", "0", "--seed", "3", "--reset")

    assert counts() == seeded
    assert catalogue() == seeded_catalogue
    assert farmers() == seeded_farmers


def assert_demo_contents(output: str) -> None:
    seeded = counts()
    assert seeded["provinces"] >= 4
    assert seeded["counties"] >= 8
    assert seeded["villages"] >= 20
    assert seeded["farmers"] >= 60
    assert seeded["ngos"] == 3
    assert seeded["products"] == seed.DEFAULT_PRODUCTS >= 200
    assert set(Farmer.objects.values_list("verification_state", flat=True)) == set(VerificationState.values)
    assert "admin / admin" in output
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin")

    for village in Village.objects.all():
        assert village.name and village.name_en and village.story
        assert 0 < village.poor_households <= village.households
        assert village.baseline_income < village.poverty_line
    for farmer in Farmer.objects.all():
        assert len(farmer.phone) == 11 and farmer.phone[0] == "1" and farmer.phone[1] in "3456789"
        assert len(farmer.id_number) == 18
    assert all(ngo.villages.exists() and ngo.staff.count() == 1 for ngo in NGO.objects.all())
    assert Farmer.objects.filter(cooperative__isnull=False).exists()
    assert Product.objects.filter(cooperative__isnull=False, is_published=True).exists()

    # Every decision went through the service, so it left a history row.
    decided = Farmer.objects.exclude(verification_state=VerificationState.PENDING)
    assert not decided.filter(state_changes__isnull=True).exists()
    assert not Farmer.objects.filter(verification_state=VerificationState.PENDING, state_changes__isnull=False).exists()
    for farmer in decided:
        assert farmer.state_changes.first().to_state == farmer.verification_state
    assert (
        not Product.objects.filter(is_published=True)
        .exclude(farmer__verification_state=VerificationState.VERIFIED, cooperative__isnull=True)
        .exclude(cooperative__verification_state=VerificationState.VERIFIED)
        .exists()
    )

    # Every product has exactly one photo, processed by the pipeline.
    assert ProductImage.objects.filter(status=ImageStatus.READY).count() == seeded["products"]
    assert not Product.objects.annotate(photos=Count("images")).exclude(photos=1).exists()
    image = ProductImage.objects.first()
    assert image.medium.storage.exists(image.medium.name) and not image.raw_upload

    assert_promotion_contents()


def assert_promotion_contents() -> None:
    """Sponsors of each kind, running campaigns with sensible bids and caps that the feed serves at
    once, and published stories about demo villages, each with a ready photo."""
    from promotion.selectors import running

    assert set(Sponsor.objects.values_list("kind", flat=True)) == set(SponsorKind.values)
    assert all(sponsor.staff.exists() for sponsor in Sponsor.objects.all())
    campaigns = Campaign.objects.all()
    assert 3 <= campaigns.count() <= 4
    assert running(timezone.now()).count() == campaigns.count()
    for campaign in campaigns:
        assert campaign.state == CampaignState.ACTIVE and campaign.serving_rate == 1.0
        assert Decimal("0.30") <= campaign.bid <= Decimal("1.50")
        assert campaign.bid < campaign.daily_cap <= campaign.total_cap
        assert campaign.products.exists() or campaign.farmer_id or campaign.village_id
    assert campaigns.filter(products__isnull=False).exists()
    assert campaigns.filter(farmer__isnull=False).exists() and campaigns.filter(village__isnull=False).exists()

    stories = ContentItem.objects.filter(status=ContentStatus.PUBLISHED, published_at__isnull=False)
    assert 6 <= stories.count() == ContentItem.objects.count() <= 8
    demo_villages = {item.slug for item in data.VILLAGES}
    for story in stories:
        assert story.village.slug in demo_villages and story.title and story.body and story.author_id
        assert story.farmer is None or story.farmer.is_verified
        photo = story.images.get()
        assert photo.status == ImageStatus.READY and photo.medium.storage.exists(photo.medium.name)
    assert stories.filter(farmer__isnull=False).exists() and stories.filter(products__isnull=False).exists()


def test_the_demo_feed_shows_stories_and_promoted_goods(client, django_capture_on_commit_callbacks):
    seed_demo(django_capture_on_commit_callbacks, "--orders", "0")
    html = client.get(reverse("promotion:feed")).content.decode()
    assert html.count('class="card story-card"') >= 4
    assert 'class="card card-promoted"' in html and 'rel="sponsored nofollow"' in html
    story = ContentItem.objects.first()
    page = client.get(reverse("promotion:story", args=[story.slug]))
    assert page.status_code == 200 and story.title in page.content.decode()


def test_large_catalogues_are_bulk_inserted_with_correct_summaries_and_shared_photos(
    django_capture_on_commit_callbacks,
):
    output = seed_demo(django_capture_on_commit_callbacks, "--orders", "0", "--products", "600", "--reset")

    assert "bulk" in output
    assert Product.objects.count() == 600
    summaries = Product.objects.annotate(low=Min("variants__price"), most=Max("variants__stock"), n=Count("variants"))
    for product in summaries:
        assert 1 <= product.n <= 3
        assert product.min_price == product.low
        assert product.in_stock == bool(product.most)
    assert summaries.filter(in_stock=False).exists() and summaries.filter(in_stock=True).exists()
    assert ProductImage.objects.filter(status=ImageStatus.READY).count() == 600
    shared = ProductImage.objects.values("medium").distinct().count()
    assert shared < 100
    image = ProductImage.objects.first()
    assert image.url("small") and image.small.storage.exists(image.small.name)


@pytest.mark.django_db
def test_demo_farmers_log_in_with_their_phone_and_reset_removes_their_accounts(client):
    call_command("seed_demo", "--orders", "0", "--products", "600")  # the quick bulk path
    farmer = Farmer.objects.filter(user__isnull=False).first()
    assert farmer.user.username == farmer.phone
    response = client.post("/accounts/login/", {"username": farmer.phone, "password": "demo"})
    assert response.status_code == 302
    accounts = Farmer.objects.filter(user__isnull=False).count()
    users_before = get_user_model().objects.count()
    call_command("seed_demo", "--orders", "0", "--products", "600", "--reset")
    assert get_user_model().objects.count() == users_before, "the old farmers' accounts went with them"
    assert Farmer.objects.filter(user__isnull=False).count() == accounts


def guest_order_of_demo_goods():
    """A guest's offline order of one unit of a demo product, through the checkout service."""
    from shop.models import ShippingMethod
    from tests.shop.buying import place_order

    variant = (
        Product.objects.filter(is_published=True, in_stock=True, farmer__verification_state="verified")
        .first()
        .variants.filter(stock__gt=0)
        .first()
    )
    return place_order([(variant, 1)], email="guest@example.cn", method=ShippingMethod.objects.first())


def test_reset_removes_orders_placed_on_demo_goods_with_their_ledger_records():
    """Shoppers trying the demo place orders, which point at demo farmers; a reset must not trip over them."""
    from payments import ledger
    from payments import shopper_payments as payments
    from payments.models import Account, LedgerTransaction
    from shop.models import Order
    from tests import factories

    call_command("seed_demo", "--orders", "0", "--products", "600")
    order = guest_order_of_demo_goods()
    payments.confirm_offline_payment(factories.staff_user(), order.payment)
    assert LedgerTransaction.objects.filter(order=order).exists()
    call_command("seed_demo", "--orders", "0", "--products", "600", "--reset")
    assert not Order.objects.filter(pk=order.pk).exists()
    assert not Account.objects.filter(farmer__isnull=False).exclude(farmer__in=Farmer.objects.all()).exists()
    assert not ledger.unbalanced_transactions().exists()


def test_reset_removes_clicks_on_demo_campaigns_with_their_spend_and_ledger_records(client):
    """Visitors clicking promoted demo goods leave clicks, spend and ledger records behind."""
    from payments.models import Account, LedgerTransaction
    from promotion.models import Click, Spend

    call_command("seed_demo", "--orders", "0", "--products", "600")
    html = client.get(reverse("promotion:feed")).content.decode()
    link = html.split('rel="sponsored nofollow"')[0].rsplit('href="', 1)[1].split('"')[0]
    response = client.get(link, HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 10) Chrome/120.0 Mobile Safari/537.36")
    assert response.status_code == 302 and Spend.objects.count() == 1
    assert LedgerTransaction.objects.filter(key__startswith="promotion-click-").exists()

    call_command("seed_demo", "--orders", "0", "--products", "600", "--reset")

    assert not Click.objects.exists() and not Spend.objects.exists()
    assert not LedgerTransaction.objects.filter(key__startswith="promotion-click-").exists()
    assert not Account.objects.filter(code__startswith="liability:sponsor:").exists()
    assert Campaign.objects.count() == len(data.CAMPAIGNS) and Sponsor.objects.count() == len(data.SPONSORS)


def test_the_demo_operator_works_in_the_admin_and_confirms_an_offline_payment(client):
    """A staff user without permissions sees nothing in the admin; the demo's operator is in the
    operators' group, so the lists open and an offline payment can be confirmed."""
    from payments.models import LedgerTransaction, Payment, PaymentStatus

    call_command("seed_demo", "--orders", "0", "--products", "600")
    operator = get_user_model().objects.get(username=seed.OPERATOR_USERNAME)
    operator.groups.clear()  # as on a demo seeded before the group existed: seeding again mends it
    out = StringIO()
    call_command("seed_demo", "--orders", "0", "--products", "600", stdout=out)
    assert "already seeded" in out.getvalue()
    assert operator.groups.filter(name="运营").exists()

    response = client.post(
        reverse("admin:login"), {"username": seed.OPERATOR_USERNAME, "password": seed.DEMO_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    for name in ("admin:index", "admin:payments_payment_changelist", "admin:shop_order_changelist"):
        page = client.get(reverse(name))
        assert page.status_code == 200 and "你没有查看或编辑的权限" not in page.content.decode(), name

    order = guest_order_of_demo_goods()

    changelist = reverse("admin:shop_order_changelist")
    selected = {"action": "confirm_offline_payment", "_selected_action": [order.pk]}
    page = client.post(changelist, {**selected, "index": "0"})
    assert page.status_code == 200 and f'name="order-{order.pk}-reference"' in page.content.decode()
    response = client.post(
        changelist, {**selected, "post": "yes", f"order-{order.pk}-reference": "农行 6228 0001"}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"订单 {order.number}：已确认收到钱（转账流水号或收据号 农行 6228 0001）。"
    ]
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.confirmed_by == operator
    assert payment.reference == "农行 6228 0001"
    assert LedgerTransaction.objects.filter(order=order).exists()
