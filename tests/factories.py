"""Small builders for test data: plain functions, explicit about what they create."""

import io
import itertools
from decimal import Decimal

from PIL import Image

from core.models import User
from farmers.models import NGO, Cooperative, County, Farmer, Province, VerificationState, Village
from shop import catalog
from shop.models import Category, Product

_seq = itertools.count(1)


def user(**fields) -> User:
    n = next(_seq)
    return User.objects.create_user(username=fields.pop("username", f"user{n}"), password="pw-123456", **fields)


def staff_user() -> User:
    return user(is_staff=True)


def village(name=None, county=None, **fields) -> Village:
    n = next(_seq)
    if county is None:
        province = Province.objects.create(name=f"省{n}", slug=f"province-{n}")
        county = County.objects.create(province=province, name=f"县{n}", slug=f"county-{n}")
    fields.setdefault("households", 200)
    fields.setdefault("poor_households", 30)
    return Village.objects.create(county=county, name=name or f"村{n}", slug=f"village-{n}", **fields)


def farmer(state=VerificationState.VERIFIED, village_=None, with_user=True, cooperative=None, **fields) -> Farmer:
    n = next(_seq)
    return Farmer.objects.create(
        user=user() if with_user else None,
        name=fields.pop("name", f"农户{n}"),
        phone=fields.pop("phone", f"138{n:08d}"),
        id_number=fields.pop("id_number", f"5326{n:014d}"),
        village=village_ or village(),
        cooperative=cooperative,
        verification_state=state,
        **fields,
    )


def cooperative(village_=None, manager=None, state=VerificationState.VERIFIED) -> Cooperative:
    n = next(_seq)
    coop = Cooperative.objects.create(
        name=f"合作社{n}", slug=f"coop-{n}", village=village_ or village(), verification_state=state
    )
    if manager is not None:
        coop.managers.add(manager)
    return coop


def ngo(villages=(), staff=()) -> NGO:
    n = next(_seq)
    org = NGO.objects.create(name=f"NGO {n}", slug=f"ngo-{n}")
    org.villages.set(villages)
    org.staff.set(staff)
    return org


def category(name=None, parent=None) -> Category:
    n = next(_seq)
    return Category.objects.create(
        name=name or f"类目{n}", name_en=f"Category {n}", slug=f"category-{n}", parent=parent
    )


def product(seller=None, category_=None, published=True, variants=None, **fields) -> Product:
    """A product listed through the real service, as the seller's own user would list it."""
    seller = seller or farmer()
    is_farmer = isinstance(seller, Farmer)
    actor = seller.user if is_farmer and seller.user else staff_user()
    if variants is None:
        variants = [{"name": "5斤装", "price": Decimal("39.90"), "stock": 10, "weight_kg": Decimal("2.5")}]
    return catalog.create_product(
        actor,
        name=fields.pop("name", f"山货{next(_seq)}"),
        category=category_ or category(),
        farmer=seller if is_farmer else None,
        cooperative=None if is_farmer else seller,
        is_published=published,
        variants=variants,
        **fields,
    )


def image_bytes(fmt="JPEG", size=(64, 48), color=(200, 120, 40), exif=None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, color).save(out, fmt, **kwargs)
    return out.getvalue()


def sponsor(staff=(), **fields):
    from promotion.models import Sponsor

    org = Sponsor.objects.create(name=fields.pop("name", f"赞助方{next(_seq)}"), **fields)
    org.staff.set(staff)
    return org


def campaign(sponsor_=None, products=(), farmer_=None, village_=None, **fields):
    """An active campaign that started 30 days ago, paying 1 yuan a click, always served unless
    `serving_rate` says otherwise."""
    import datetime

    from django.utils import timezone

    from promotion.models import Campaign, CampaignState

    fields.setdefault("name", f"推广{next(_seq)}")
    fields.setdefault("bid", Decimal("1.00"))
    fields.setdefault("daily_cap", Decimal("100.00"))
    fields.setdefault("total_cap", Decimal("1000.00"))
    fields.setdefault("starts_at", timezone.now() - datetime.timedelta(days=30))
    fields.setdefault("state", CampaignState.ACTIVE)
    fields.setdefault("serving_rate", 1.0)
    made = Campaign.objects.create(sponsor=sponsor_ or sponsor(), farmer=farmer_, village=village_, **fields)
    made.products.set(products)
    return made


def story(village_=None, published=True, **fields):
    import datetime

    from django.utils import timezone

    from promotion.models import ContentItem, ContentStatus

    n = next(_seq)
    fields.setdefault("title", f"山村故事{n}")
    fields.setdefault("summary", "一个村子的故事")
    if published:
        fields.setdefault("status", ContentStatus.PUBLISHED)
        fields.setdefault("published_at", timezone.now() - datetime.timedelta(minutes=n))
    return ContentItem.objects.create(slug=f"story-{n}", village=village_ or village(), **fields)


def payout_operator() -> User:
    """A staff member allowed to record payouts paid, failed or returned (payments.permissions)."""
    from django.contrib.auth.models import Permission

    operator = staff_user()
    operator.user_permissions.add(Permission.objects.get(codename="change_payout", content_type__app_label="payments"))
    return User.objects.get(pk=operator.pk)  # a fresh instance: permissions are cached per instance
