"""Seed (and remove) the demo database: real places, invented people, a catalogue with photos.

`manage.py seed_demo` calls `seed_demo` and `delete_demo_data`; the material lives in `demo.data`.

Everything random comes from `random.Random` instances seeded from `--seed`, one per stream
(people, verification, catalogue, photos), so that two runs with the same seed give the same
farmers, names, prices and pictures, and changing how one stream is used leaves the others as
they were. Nothing depends on the clock except the `created_at` timestamps Django sets itself and
the campaigns' start (the day before the seeding, so that they run at once).

Promotion comes last: three sponsors (the platform's charity traffic, an NGO, a company), a few
campaigns (goods, a farmer, villages) served on every feed request (`serving_rate` 1.0, so a
visitor sees promoted slots at once; the pacing task lowers it when Celery beat runs), and a
handful of published village stories, each with a photo cleaned by the pipeline's own function.

Two ways of writing the catalogue:

* Up to `BULK_THRESHOLD` products (the default demo of 240), every product, variant and photo goes
  through the real services (`shop.catalog.create_product`, `add_product_image`): permission
  checks, validation, the denormalised price summary and the photo pipeline on its Celery task.
  The demo then shows exactly what a farmer's listing produces, and seeding doubles as a smoke
  test of those services. That costs about twenty queries and one photo pipeline run per product,
  a few seconds for hundreds of products, too slow for the tens of thousands a benchmark wants.
* Above it, products and variants are bulk-inserted with `min_price`/`in_stock` computed here, the
  same way `shop.catalog.refresh_product_summary` computes them, and the photos are a handful of
  pictures per category, cleaned once by `core.images.clean_image` and shared by many
  `ProductImage` rows. The catalogue is the same (same plan, same seed); only the writing differs.
  Bulk inserts send no signals, so anything kept in sync by signals (a search index) needs its
  rebuild afterwards.
"""

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageOps

from core.images import clean_image
from core.operators import ensure_operator_group
from farmers.models import NGO, Cooperative, County, Farmer, Province, VerificationState, Village
from farmers.verification import change_verification_state
from promotion.models import Campaign, CampaignState, ContentImage, ContentItem, ContentStatus, Sponsor
from shop import catalog as shop_services
from shop.models import Category, ImageStatus, Product, ProductImage, ShippingMethod, ShippingRate, Variant
from shop.selectors import visible_products

from . import data
from . import year as demo_year

BULK_THRESHOLD = 500
DEFAULT_PRODUCTS = 240
MIN_FARMERS = 64
PRODUCTS_PER_FARMER = 20  # beyond MIN_FARMERS, large catalogues get more sellers, not longer shops
SHARED_PHOTOS_PER_CATEGORY = 3
PHOTO_SIZE = (320, 240)
HARVEST_REFERENCE = date(2025, 10, 1)  # fixed, so that harvest dates do not depend on the day of the run
# Fixed too: the newest demo story was published then, each next one two days earlier.
STORY_REFERENCE = datetime(2025, 10, 8, 9, 30, tzinfo=timezone.get_fixed_timezone(8 * 60))
CAMPAIGN_PRODUCTS = 3  # a "products" campaign promotes this many goods of its village
STORY_PRODUCTS = 2  # goods featured under a story

OPERATOR_USERNAME = "demo-operator"
DEMO_USER_PREFIX = "demo-"
SHOPPER_USERNAME = "demo-shopper@shanhuo.example"  # logs in by email, like every shopper
DEMO_PASSWORD = "demo"  # noqa: S105 - printed by the command on purpose: a demo, never production
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"  # noqa: S105 - idem

S = VerificationState
FEN = Decimal("0.01")


@dataclass
class ProductPlan:
    """One product as the seed decided it, before it is written by either path."""

    name: str
    category: Category
    seller: Farmer | Cooperative
    actor: object
    description: str
    harvest_date: date | None
    is_published: bool
    variants: list[dict]

    @property
    def farmer(self):
        return self.seller if isinstance(self.seller, Farmer) else None

    @property
    def cooperative(self):
        return self.seller if isinstance(self.seller, Cooperative) else None


@dataclass
class SeedResult:
    bulk: bool
    admin_created: bool
    farmer_usernames: list[str] = field(default_factory=list)
    year: demo_year.YearResult | None = None


def rng_for(seed: int, stream: str) -> random.Random:
    """A generator of its own per stream; a string seed hashes the same in every process."""
    return random.Random(f"shanhuo-demo:{seed}:{stream}")  # noqa: S311 - demo data, not secrets


def is_seeded() -> bool:
    """Any trace of a demo counts, so that seeding never runs into half of an earlier one
    (say, its operator deleted by hand) and fails on a unique name or duplicates its farmers."""
    return (
        get_user_model().objects.filter(username__startswith=DEMO_USER_PREFIX).exists()
        or NGO.objects.filter(slug__in=[item.slug for item in data.NGOS]).exists()
        or Cooperative.objects.filter(slug__in=[item.slug for item in data.COOPERATIVES]).exists()
        or Farmer.objects.filter(village__slug__in=[item.slug for item in data.VILLAGES]).exists()
        or Sponsor.objects.filter(name__in=[item.name for item in data.SPONSORS]).exists()
        or ContentItem.objects.filter(slug__in=[item.slug for item in data.STORIES]).exists()
    )


# --- Seeding ----------------------------------------------------------------------------------


@transaction.atomic
def seed_demo(seed: int = 1, products: int = DEFAULT_PRODUCTS, orders: int = demo_year.ORDERS) -> SeedResult:
    """Write the whole demo in one transaction; photos are processed once it commits. Last, a year
    of `orders` (demo.year) on the goods just listed."""
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing per user would take minutes
    operator = _create_user(OPERATOR_USERNAME, password, is_staff=True, first_name="Demo operator")
    ensure_demo_operator()
    admin_created = _ensure_admin()
    villages = _create_places()
    categories = _create_categories()
    verifiers = _create_ngos(villages, password)
    people = rng_for(seed, "people")
    cooperatives = _create_cooperatives(people, villages, password)
    farmer_count = max(MIN_FARMERS, products // PRODUCTS_PER_FARMER)
    farmers = _create_farmers(people, farmer_count, villages, cooperatives, password)
    _verify_farmers(rng_for(seed, "verification"), farmers, operator, verifiers)
    plans = plan_catalogue(rng_for(seed, "catalogue"), products, farmers, cooperatives, categories, operator)
    bulk = products > BULK_THRESHOLD
    if bulk:
        _write_catalogue_in_bulk(rng_for(seed, "photos"), plans)
    else:
        _write_catalogue_with_services(rng_for(seed, "photos"), plans)
    _create_promotion(rng_for(seed, "promotion"), villages, operator, password)
    _ensure_shipping_methods()
    _create_user(SHOPPER_USERNAME, password, email=SHOPPER_USERNAME, first_name="Demo shopper")
    return SeedResult(
        bulk=bulk,
        admin_created=admin_created,
        farmer_usernames=[farmer.user.username for farmer in farmers if farmer.user and farmer.is_verified][:3],
        year=seed_year(seed, orders),
    )


def seed_year(seed: int = 1, orders: int = demo_year.ORDERS) -> demo_year.YearResult | None:
    """The demo's year of orders (demo.year), on a demo seeded now or before the year existed."""
    if orders < 1:
        return None
    operator = get_user_model().objects.get(username=OPERATOR_USERNAME)
    return demo_year.seed_year(rng_for(seed, "orders"), rng_for(seed, "shoppers"), operator, orders)


def _ensure_shipping_methods() -> None:
    """Couriers and their weight tables, so the demo can be bought from; left alone when the site
    already offers one (an operator's own table wins), and kept when the demo is removed."""
    if ShippingMethod.objects.filter(is_active=True).exists():
        return
    for position, (name, extra, rates) in enumerate(data.SHIPPING_METHODS):
        method = ShippingMethod.objects.create(name=name, extra_kg_price=Decimal(extra), position=position)
        ShippingRate.objects.bulk_create(
            ShippingRate(method=method, max_weight_kg=Decimal(weight), price=Decimal(price)) for weight, price in rates
        )


def ensure_demo_operator() -> None:
    """The operators' group, with the demo operator in it: a staff user without permissions sees
    nothing in the admin. Also run on a demo seeded before the group existed."""
    group = ensure_operator_group()
    group.user_set.add(*get_user_model().objects.filter(username=OPERATOR_USERNAME))


def _create_user(username: str, password_hash: str, **fields):
    return get_user_model().objects.create(username=username, password=password_hash, **fields)


def _ensure_admin() -> bool:
    """Create `admin`/`admin` unless a user of that name exists, whose password is then left alone."""
    users = get_user_model().objects
    if users.filter(username=ADMIN_USERNAME).exists():
        return False
    users.create_superuser(ADMIN_USERNAME, "admin@example.org", ADMIN_PASSWORD)
    return True


def _create_places() -> dict[str, Village]:
    """Provinces, counties and villages, matched by slug so that a half-removed demo is reused."""
    provinces = {
        item.slug: Province.objects.update_or_create(
            slug=item.slug, defaults={"name": item.name, "name_en": item.name_en}
        )[0]
        for item in data.PROVINCES
    }
    counties = {
        item.slug: County.objects.update_or_create(
            slug=item.slug,
            defaults={"province": provinces[item.province], "name": item.name, "name_en": item.name_en},
        )[0]
        for item in data.COUNTIES
    }
    return {
        item.slug: Village.objects.update_or_create(
            slug=item.slug,
            defaults={
                "county": counties[item.county],
                "name": item.name,
                "name_en": item.name_en,
                "story": item.story,
                "households": item.households,
                "poor_households": item.poor_households,
                "poverty_line": data.POVERTY_LINE,
                "baseline_income": Decimal(item.baseline_income),
            },
        )[0]
        for item in data.VILLAGES
    }


def _create_categories() -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for position, item in enumerate(data.CATEGORIES):
        categories[item.slug] = Category.objects.update_or_create(
            slug=item.slug,
            defaults={
                "name": item.name,
                "name_en": item.name_en,
                "parent": categories[item.parent] if item.parent else None,
                "position": position,
            },
        )[0]
    return categories


def _create_ngos(villages: dict[str, Village], password_hash: str) -> dict[int, object]:
    """Three NGOs with one staff member each; returns who verifies the farmers of each village."""
    verifiers = {}
    for number, item in enumerate(data.NGOS, start=1):
        ngo = NGO.objects.create(name=item.name, slug=item.slug, website=item.website)
        covered = [village for village in villages.values() if village.county.slug in item.counties]
        ngo.villages.set(covered)
        staff = _create_user(f"{DEMO_USER_PREFIX}ngo-{number}", password_hash, first_name=item.name)
        ngo.staff.add(staff)
        for village in covered:
            verifiers.setdefault(village.pk, staff)
    return verifiers


def _create_cooperatives(rng: random.Random, villages: dict[str, Village], password_hash: str) -> list[Cooperative]:
    cooperatives = []
    for number, item in enumerate(data.COOPERATIVES, start=1):
        cooperative = Cooperative.objects.create(
            name=item.name,
            slug=item.slug,
            village=villages[item.village],
            phone=fake_mobile(rng),
            story=item.story,
            verification_state=S.VERIFIED,
        )
        cooperative.managers.add(_create_user(f"{DEMO_USER_PREFIX}coop-{number}", password_hash))
        cooperatives.append(cooperative)
    return cooperatives


def _create_farmers(
    rng: random.Random, count: int, villages: dict[str, Village], cooperatives: list[Cooperative], password_hash: str
) -> list[Farmer]:
    """Every village gets farmers before any gets a second; most have an account, some do not
    (older farmers whose cooperative or the operator lists for them)."""
    village_list = list(villages.values())
    village_data = {item.slug: item for item in data.VILLAGES}
    province_codes = {item.slug: item.id_code for item in data.PROVINCES}
    county_province = {item.slug: item.province for item in data.COUNTIES}
    cooperative_of = {cooperative.village_id: cooperative for cooperative in cooperatives}
    phones: set[str] = set()
    farmers, users = [], []
    for index in range(count):
        village = village_list[index] if index < len(village_list) else rng.choice(village_list)
        phone = _unique(phones, lambda: fake_mobile(rng))
        user = None
        if rng.random() < 0.85:
            # Farmers log in with their phone number, as one who signed up on the site does.
            user = get_user_model()(username=phone, password=password_hash)
            users.append(user)
        size = rng.randint(2, 7)
        crop = data.PRODUCTS[rng.choice(village_data[village.slug].specialties)].name
        cooperative = cooperative_of.get(village.pk)
        farmers.append(
            Farmer(
                user=user,
                name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
                phone=phone,
                id_number=fake_id_number(rng, province_codes[county_province[village.county.slug]]),
                village=village,
                cooperative=cooperative if cooperative and rng.random() < 0.6 else None,
                is_registered_poor=rng.random() < 0.4,
                household_size=size,
                story=rng.choice(data.FARMER_STORIES).format(size=size, crop=crop),
            )
        )
    get_user_model().objects.bulk_create(users)  # the farmers below read their new keys
    return Farmer.objects.bulk_create(farmers)


def _verify_farmers(rng: random.Random, farmers: list[Farmer], operator, verifiers: dict[int, object]) -> None:
    """Walk each farmer through the real state machine so the history rows exist.

    Mostly verified, a few of every other state. The NGO covering a village decides for its
    farmers (the operator where no NGO covers it); suspending is the operator's job.
    """
    count = len(farmers)
    pending, rejected, suspended = max(2, count // 10), max(2, count * 8 // 100), max(2, count * 6 // 100)
    states = [S.PENDING] * pending + [S.REJECTED] * rejected + [S.SUSPENDED] * suspended
    states += [S.VERIFIED] * (count - len(states))
    rng.shuffle(states)
    for farmer, state in zip(farmers, states, strict=True):
        verifier = verifiers.get(farmer.village_id, operator)
        if state == S.REJECTED:
            change_verification_state(farmer, S.REJECTED, verifier, rng.choice(data.REJECTION_REASONS))
        elif state in (S.VERIFIED, S.SUSPENDED):
            change_verification_state(farmer, S.VERIFIED, verifier)
        if state == S.SUSPENDED:
            change_verification_state(farmer, S.SUSPENDED, operator, rng.choice(data.SUSPENSION_REASONS))
        farmer.verification_state = state


# --- The catalogue ----------------------------------------------------------------------------


def plan_catalogue(
    rng: random.Random,
    count: int,
    farmers: list[Farmer],
    cooperatives: list[Cooperative],
    categories: dict[str, Category],
    operator,
) -> list[ProductPlan]:
    """Decide every product before writing any, so that both writing paths list the same goods."""
    places = _place_names()
    village_specialties = {item.slug: item.specialties for item in data.VILLAGES}
    cooperative_specialties = {item.slug: item.specialties for item in data.COOPERATIVES}
    managers = {cooperative.pk: cooperative.managers.first() for cooperative in cooperatives}
    plans = []
    for index in range(count):
        if cooperatives and rng.random() < 0.12:
            seller = rng.choice(cooperatives)
            template_key = rng.choice(cooperative_specialties[seller.slug])
        else:
            seller = rng.choice(farmers)
            template_key = rng.choice(village_specialties[seller.village.slug])
        template = data.PRODUCTS[template_key]
        province, county, village = places[seller.village.slug]
        plans.append(
            ProductPlan(
                name=_product_name(rng, template, county.short, village.name),
                category=categories[template.category],
                seller=seller,
                actor=_actor_for(seller, managers, operator),
                description=f"{template.blurb}\n\n产地：{province.name}{county.name}{village.name}。",
                harvest_date=HARVEST_REFERENCE - timedelta(days=rng.randint(3, 150)) if template.seasonal else None,
                is_published=seller.is_verified and rng.random() < 0.92,
                variants=_plan_variants(rng, data.PACKAGING[template.packaging], index),
            )
        )
    return plans


def _place_names() -> dict[str, tuple]:
    provinces = {item.slug: item for item in data.PROVINCES}
    counties = {item.slug: item for item in data.COUNTIES}
    return {
        item.slug: (provinces[counties[item.county].province], counties[item.county], item) for item in data.VILLAGES
    }


def _product_name(rng: random.Random, template, county_short: str, village_name: str) -> str:
    qualifier = rng.choice(template.qualifiers) if template.qualifiers else ""
    place = rng.choice((county_short, county_short, village_name.removesuffix("村"), ""))
    if place and qualifier and (qualifier.startswith(place) or place.startswith(qualifier)):
        place = ""  # not 渭源渭源白条党参
    pattern = rng.choice(("{place}{base}", "{place}{qualifier}{base}", "{qualifier}{base}"))
    return pattern.format(place=place, qualifier=qualifier, base=template.name) or template.name


def _plan_variants(rng: random.Random, packaging, index: int) -> list[dict]:
    """One to three units; the first price is drawn, the bigger ones follow from it, so that a
    10-jin box never costs less than a 5-jin one."""
    units = packaging.units[: rng.randint(1, min(3, len(packaging.units)))]
    first = Decimal(rng.randint(*packaging.first_price)) + Decimal(rng.choice(("0.00", "0.50", "0.80", "0.90")))
    variants = []
    for position, unit in enumerate(units, start=1):
        price = first if position == 1 else _round_price(first * Decimal(unit.multiplier))
        stock = 0 if rng.random() < 0.1 else rng.randint(3, 400)
        variants.append(
            {
                "name": unit.name,
                "sku": f"DEMO-{index + 1:05d}-{position}",
                "price": price,
                "stock": stock,
                "weight_kg": Decimal(unit.weight_kg).quantize(Decimal("0.001")),
            }
        )
    return variants


def _round_price(amount: Decimal) -> Decimal:
    """Shop prices end in .90: 71.82 becomes 71.90, 71.30 becomes 70.90."""
    return amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP) - Decimal("0.10")


def _actor_for(seller, managers: dict[int, object], operator):
    """Who types the listing in: the farmer, else the cooperative's manager, else the operator."""
    if isinstance(seller, Cooperative):
        return managers[seller.pk]
    if seller.user_id:
        return seller.user
    return managers.get(seller.cooperative_id) or operator


def _write_catalogue_with_services(rng: random.Random, plans: list[ProductPlan]) -> None:
    """The real path: the services validate, and each photo goes through the pipeline on its task."""
    colours = _category_colours()
    for plan in plans:
        product = shop_services.create_product(
            plan.actor,
            name=plan.name,
            category=plan.category,
            farmer=plan.farmer,
            cooperative=plan.cooperative,
            description=plan.description,
            harvest_date=plan.harvest_date,
            is_published=plan.is_published,
            variants=plan.variants,
        )
        photo = draw_photo(rng, colours[plan.category.pk])
        upload = SimpleUploadedFile(f"{product.pk}.jpg", photo, content_type="image/jpeg")
        shop_services.add_product_image(plan.actor, product, upload, alt=plan.name)


def _write_catalogue_in_bulk(rng: random.Random, plans: list[ProductPlan]) -> None:
    """The benchmark path: bulk inserts, denormalised fields computed here, photos shared."""
    products = Product.objects.bulk_create(
        [
            Product(
                name=plan.name,
                slug=f"{slugify(plan.name, allow_unicode=True)[:80]}-demo{index + 1}",
                category=plan.category,
                farmer=plan.farmer,
                cooperative=plan.cooperative,
                village=plan.seller.village,
                description=plan.description,
                harvest_date=plan.harvest_date,
                is_published=plan.is_published,
                min_price=min(variant["price"] for variant in plan.variants),
                in_stock=any(variant["stock"] > 0 for variant in plan.variants),
                created_by=plan.actor,
            )
            for index, plan in enumerate(plans)
        ],
        batch_size=1000,
    )
    Variant.objects.bulk_create(
        [
            Variant(product=product, position=position, **variant)
            for product, plan in zip(products, plans, strict=True)
            for position, variant in enumerate(plan.variants, start=1)
        ],
        batch_size=2000,
    )
    picks = [(plan.category, rng.randint(1, SHARED_PHOTOS_PER_CATEGORY)) for plan in plans]
    photos = _shared_photos(rng, sorted(set(picks), key=lambda pick: (pick[0].pk, pick[1])))
    ProductImage.objects.bulk_create(
        [
            ProductImage(product=product, alt=plan.name[:120], position=1, **photos[pick])
            for product, plan, pick in zip(products, plans, picks, strict=True)
        ],
        batch_size=2000,
    )


def _shared_photos(rng: random.Random, picks: list[tuple[Category, int]]) -> dict[tuple[Category, int], dict]:
    """The photos some product uses (a few per category), cleaned by the pipeline's own function
    and stored once each, so that removing the demo leaves no file behind."""
    colours = _category_colours()
    storage = ProductImage._meta.get_field("original").storage
    photos = {}
    for category, number in picks:
        cleaned = clean_image(draw_photo(rng, colours[category.pk]))
        stem = f"products/demo/{category.slug}-{number}"
        fields = {"original": storage.save(f"{stem}.jpg", ContentFile(cleaned.original))}
        for size, content in cleaned.thumbnails.items():
            fields[size] = storage.save(f"{stem}-{size}.jpg", ContentFile(content))
        photos[category, number] = {
            **fields,
            "width": cleaned.width,
            "height": cleaned.height,
            "status": ImageStatus.READY,
        }
    return photos


def _category_colours() -> dict[int, tuple[int, int, int]]:
    """Each subcategory takes its top category's colour: fruit is orange, tea is green."""
    top_colours = {item.slug: item.colour for item in data.CATEGORIES if item.colour}
    parent_of = {item.slug: item.parent or item.slug for item in data.CATEGORIES}
    return {
        category.pk: top_colours[parent_of[category.slug]]
        for category in Category.objects.filter(slug__in=list(parent_of))
    }


def draw_photo(rng: random.Random, colour: tuple[int, int, int]) -> bytes:
    """A small JPEG: a sky-to-ground gradient in the category's colour, a hill, round 'produce'.

    No font and no files are needed, and each picture differs a little, so the pipeline and the
    storefront get real, varied images to work on.
    """
    width, height = PHOTO_SIZE
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    image = ImageOps.colorize(gradient, black=_shade(colour, 1.35), white=_shade(colour, 0.75)).convert("RGB")
    draw = ImageDraw.Draw(image)
    sun = rng.randint(20, 36)
    sun_x, sun_y = rng.randint(sun, width - sun), rng.randint(sun, height // 3)
    draw.ellipse((sun_x - sun, sun_y - sun, sun_x + sun, sun_y + sun), fill=(255, 244, 214))
    hill_top = rng.randint(height // 2, height * 2 // 3)
    draw.ellipse((-width // 2, hill_top, width * 3 // 2, height * 2), fill=_shade(colour, 0.55))
    for _ in range(rng.randint(3, 7)):
        radius = rng.randint(14, 30)
        x, y = rng.randint(radius, width - radius), rng.randint(hill_top, height - radius)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_shade(colour, rng.uniform(0.9, 1.2)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(channel * factor))) for channel in colour)


# --- Promotion --------------------------------------------------------------------------------


def _create_promotion(rng: random.Random, villages: dict[str, Village], operator, password_hash: str) -> None:
    """Sponsors, their campaigns and the village stories, after the catalogue they point at."""
    sponsors = _create_sponsors(operator, password_hash)
    for item in data.CAMPAIGNS:
        _create_campaign(rng, item, sponsors[item.sponsor], villages[item.village], operator)
    _create_stories(rng, villages, operator)


def _create_sponsors(operator, password_hash: str) -> dict[str, Sponsor]:
    users = get_user_model().objects
    sponsors = {}
    for item in data.SPONSORS:
        sponsor = Sponsor.objects.create(name=item.name, kind=item.kind)
        if item.staff == "operator":
            staff = operator
        elif item.staff.startswith("ngo-"):
            staff = users.get(username=f"{DEMO_USER_PREFIX}{item.staff}")
        else:
            staff = _create_user(f"{DEMO_USER_PREFIX}{item.staff}", password_hash, first_name=item.name)
        sponsor.staff.add(staff)
        sponsors[item.name] = sponsor
    return sponsors


def _create_campaign(rng: random.Random, item, sponsor: Sponsor, village: Village, operator) -> Campaign | None:
    """A running campaign; skipped when its village has nothing on sale (a small --products run)."""
    on_sale = visible_products().filter(village=village, in_stock=True).order_by("pk")
    target = {}
    if item.promotes == "farmer":
        sellers = sorted(set(on_sale.filter(farmer__isnull=False).values_list("farmer", flat=True)))
        if not sellers:
            return None
        target["farmer"] = Farmer.objects.get(pk=rng.choice(sellers))
    elif item.promotes == "village":
        target["village"] = village
    products = list(on_sale[:CAMPAIGN_PRODUCTS]) if item.promotes == "products" else []
    if not (target or products):
        return None
    campaign = Campaign.objects.create(
        sponsor=sponsor,
        name=item.name,
        bid=Decimal(item.bid),
        daily_cap=Decimal(item.daily_cap),
        total_cap=Decimal(item.total_cap),
        starts_at=timezone.now() - timedelta(days=1),
        state=CampaignState.ACTIVE,
        serving_rate=1.0,
        created_by=operator,
        **target,
    )
    campaign.products.set(products)
    return campaign


def _create_stories(rng: random.Random, villages: dict[str, Village], operator) -> None:
    """Published stories, written by the staff of the NGO covering the village (the operator
    where none does), each with one photo and a couple of the village's goods."""
    colours = _category_colours()
    categories = {item.slug: item for item in Category.objects.filter(slug__in=[c.slug for c in data.CATEGORIES])}
    village_data = {item.slug: item for item in data.VILLAGES}
    storage = ContentImage._meta.get_field("original").storage
    for index, item in enumerate(data.STORIES):
        village = villages[item.village]
        ngo = NGO.objects.filter(villages=village).order_by("pk").first()
        author = (ngo.staff.order_by("pk").first() if ngo else None) or operator
        farmer = None
        if item.about_farmer:
            farmers = list(Farmer.objects.filter(village=village, verification_state=S.VERIFIED).order_by("pk"))
            farmer = rng.choice(farmers) if farmers else None
        story = ContentItem.objects.create(
            title=item.title,
            slug=item.slug,
            summary=item.summary,
            body=item.body,
            village=village,
            farmer=farmer,
            ngo=ngo,
            author=author,
            status=ContentStatus.PUBLISHED,
            published_at=STORY_REFERENCE - timedelta(days=2 * index),
        )
        goods = visible_products().filter(village=village).order_by("pk")
        if farmer is not None and goods.filter(farmer=farmer).exists():
            goods = goods.filter(farmer=farmer)
        story.products.set(goods[:STORY_PRODUCTS])
        specialty = data.PRODUCTS[village_data[item.village].specialties[0]]
        colour = colours[categories[specialty.category].pk]
        cleaned = clean_image(draw_photo(rng, colour))
        stem = f"stories/demo/{item.slug}"
        files = {"original": storage.save(f"{stem}.jpg", ContentFile(cleaned.original))}
        for size, content in cleaned.thumbnails.items():
            files[size] = storage.save(f"{stem}-{size}.jpg", ContentFile(content))
        ContentImage.objects.create(
            item=story,
            caption=item.photo_caption,
            status=ImageStatus.READY,
            width=cleaned.width,
            height=cleaned.height,
            **files,
        )


# --- Fake personal data -----------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"


def fake_mobile(rng: random.Random) -> str:
    """Eleven digits starting 13–19, like a mainland mobile number."""
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def fake_id_number(rng: random.Random, province_code: str) -> str:
    """An 18-character resident ID number with a valid check character (GB 11643), so that
    format checks pass; the region part is the province-level code (xx0000), which marks it as
    invented rather than a county's."""
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 45 * 365))
    body = f"{province_code}0000{born:%Y%m%d}{rng.randint(1, 999):03d}"
    checksum = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True)) % 11
    return body + ID_CHECK_CHARACTERS[checksum]


def _unique(seen: set[str], make) -> str:
    value = make()
    while value in seen:
        value = make()
    seen.add(value)
    return value


# --- Removing the demo ------------------------------------------------------------------------


@transaction.atomic
def delete_demo_data() -> dict[str, int]:
    """Remove what `seed_demo` wrote: everything in the demo villages, the demo NGOs, categories,
    `demo-*` users and the demo farmers' accounts. `admin` stays (it may have been someone's own
    before the demo). Photo files are deleted once the transaction commits, so a rollback loses
    none."""
    villages = Village.objects.filter(slug__in=[item.slug for item in data.VILLAGES])
    products = Product.objects.filter(village__in=villages)
    files = _image_files(ProductImage.objects.filter(product__in=products))
    counts = {"products": products.count(), "farmers": Farmer.objects.filter(village__in=villages).count()}
    farmer_users = list(Farmer.objects.filter(village__in=villages, user__isnull=False).values_list("user", flat=True))
    _delete_demo_orders(villages)
    files += _delete_demo_promotion(villages)
    products.delete()
    Farmer.objects.filter(village__in=villages).delete()
    get_user_model().objects.filter(pk__in=farmer_users).delete()
    Cooperative.objects.filter(village__in=villages).delete()
    NGO.objects.filter(slug__in=[item.slug for item in data.NGOS]).delete()
    villages.delete()
    County.objects.filter(slug__in=[item.slug for item in data.COUNTIES]).delete()
    Province.objects.filter(slug__in=[item.slug for item in data.PROVINCES]).delete()
    category_slugs = [item.slug for item in data.CATEGORIES]
    Category.objects.filter(slug__in=category_slugs, parent__isnull=False).delete()
    Category.objects.filter(slug__in=category_slugs).delete()
    get_user_model().objects.filter(username__startswith=DEMO_USER_PREFIX).delete()
    transaction.on_commit(lambda: _delete_files(files))
    return counts


def _delete_demo_orders(villages) -> None:
    """Orders placed on demo goods go with the demo, with their payments and ledger records: they
    would otherwise hold the demo farmers in place. Never do this to real orders."""
    from payments.models import Account, Entry, LedgerTransaction, Payment, Payout, Refund
    from shop.models import Order

    orders = Order.objects.filter(fulfilments__village__in=villages).distinct()
    transactions = LedgerTransaction.objects.filter(order__in=orders)
    Entry.objects.filter(transaction__in=transactions).delete()
    transactions.delete()
    # Payouts to demo sellers, with their bookings (payout:, payout-paid:, payout-failed:, payout-returned:).
    payouts = Payout.objects.filter(Q(farmer__village__in=villages) | Q(cooperative__village__in=villages))
    payout_ids = list(payouts.values_list("pk", flat=True))
    kinds = ("payout", "payout-paid", "payout-failed", "payout-returned")
    keys = [f"{kind}:{pk}" for pk in payout_ids for kind in kinds]
    transactions = LedgerTransaction.objects.filter(key__in=keys)
    Entry.objects.filter(transaction__in=transactions).delete()
    transactions.delete()
    Entry.objects.filter(payout__in=payout_ids).update(payout=None)
    Payout.objects.filter(pk__in=payout_ids).delete()
    Refund.objects.filter(payment__order__in=orders).delete()
    Payment.objects.filter(order__in=orders).delete()
    Order.objects.filter(pk__in=list(orders.values_list("pk", flat=True))).delete()
    sellers = Account.objects.filter(Q(farmer__village__in=villages) | Q(cooperative__village__in=villages))
    sellers.delete()


def _delete_demo_promotion(villages) -> list[tuple[object, str]]:
    """The demo sponsors and every campaign or story touching a demo village, with the clicks,
    spend and ledger records visitors made by clicking promoted goods, and the links shared to
    demo goods with their visits. Returns the story photos' files, deleted once the transaction
    commits."""
    from payments.models import Account, Entry, LedgerTransaction
    from promotion.models import Click, OrderAttribution, ShareLink, Spend

    sponsors = Sponsor.objects.filter(name__in=[item.name for item in data.SPONSORS])
    sponsor_ids = list(sponsors.values_list("pk", flat=True))
    campaigns = Campaign.objects.filter(
        Q(sponsor__in=sponsor_ids) | Q(village__in=villages) | Q(farmer__village__in=villages)
    )
    campaign_ids = list(campaigns.values_list("pk", flat=True))
    click_ids = list(Click.objects.filter(campaign__in=campaign_ids).values_list("pk", flat=True))
    transactions = LedgerTransaction.objects.filter(key__in=[f"promotion-click-{pk}" for pk in click_ids])
    Entry.objects.filter(transaction__in=transactions).delete()
    transactions.delete()
    OrderAttribution.objects.filter(Q(campaign__in=campaign_ids) | Q(click__in=click_ids)).delete()
    Spend.objects.filter(Q(campaign__in=campaign_ids) | Q(click__in=click_ids)).delete()
    Click.objects.filter(pk__in=click_ids).delete()
    shares = ShareLink.objects.filter(product__village__in=villages)  # their visits go with them
    OrderAttribution.objects.filter(share_visit__link__in=shares).delete()
    shares.delete()
    Campaign.objects.filter(pk__in=campaign_ids).delete()
    Account.objects.filter(code__in=[f"liability:sponsor:{pk}" for pk in sponsor_ids], entries__isnull=True).delete()
    sponsors.filter(campaigns__isnull=True).delete()
    stories = ContentItem.objects.filter(Q(village__in=villages) | Q(slug__in=[item.slug for item in data.STORIES]))
    files = _image_files(ContentImage.objects.filter(item__in=stories))
    stories.delete()
    return files


def _image_files(images) -> list[tuple[object, str]]:
    """(storage, name) of every file of these photos (product or story photos), once each: bulk
    demo photos share files."""
    fields = ("raw_upload", "original", "small", "medium", "large")
    storages = {name: images.model._meta.get_field(name).storage for name in fields}
    seen = {}
    for row in images.values_list(*fields):
        for name, value in zip(fields, row, strict=True):
            if value:
                seen[(name == "raw_upload", value)] = storages[name]
    return [(storage, value) for (_private, value), storage in seen.items()]


def _delete_files(files: list[tuple[object, str]]) -> None:
    for storage, name in files:
        storage.delete(name)


def demo_logins() -> list[tuple[str, str, str]]:
    """One demo account per role, (role, username, what it shows), chosen for the most history:
    the farmer and the cooperative whose parcels were delivered most often."""
    from django.db.models import Count

    from shop.models import Fulfilment

    users = get_user_model().objects
    delivered = Fulfilment.objects.filter(status="delivered")
    farmer = (
        delivered.filter(farmer__user__isnull=False)
        .values("farmer__user__username", "farmer")
        .annotate(parcels=Count("pk"))
        .order_by("-parcels", "farmer")
        .first()
    )
    cooperative = (
        delivered.filter(cooperative__isnull=False)
        .values("cooperative")
        .annotate(parcels=Count("pk"))
        .order_by("-parcels", "cooperative")
        .first()
    )
    manager = (
        users.filter(managed_cooperatives=cooperative["cooperative"]).order_by("pk").first()
        if cooperative
        else users.filter(username__startswith=f"{DEMO_USER_PREFIX}coop-").order_by("pk").first()
    )
    ngo = NGO.objects.filter(slug=data.NGOS[0].slug).first()
    sponsor = Sponsor.objects.filter(staff__username=f"{DEMO_USER_PREFIX}sponsor-1").first()
    logins = [
        ("operator (admin)", OPERATOR_USERNAME, "/admin/: orders, payments, payouts"),
        ("shopper", SHOPPER_USERNAME, "/orders/: a year of orders"),
    ]
    if ngo:
        logins.append(("NGO officer", f"{DEMO_USER_PREFIX}ngo-1", f"{ngo.name}, {ngo.villages.count()} villages"))
    if sponsor:
        logins.append(("sponsor's staff", f"{DEMO_USER_PREFIX}sponsor-1", f"{sponsor.name}, its campaigns"))
    if farmer:
        logins.append(("farmer (phone)", farmer["farmer__user__username"], f"{farmer['parcels']} parcels delivered"))
    if manager:
        logins.append(("cooperative manager", manager.username, "its members' goods, orders and earnings"))
    return logins


def demo_counts() -> dict[str, int]:
    """What the demo holds now, for the command's summary."""
    villages = Village.objects.filter(slug__in=[item.slug for item in data.VILLAGES])
    products = Product.objects.filter(village__in=villages)
    images = ProductImage.objects.filter(product__in=products)
    return {
        "provinces": Province.objects.filter(counties__villages__in=villages).distinct().count(),
        "counties": County.objects.filter(villages__in=villages).distinct().count(),
        "villages": villages.count(),
        "cooperatives": Cooperative.objects.filter(village__in=villages).count(),
        "farmers": Farmer.objects.filter(village__in=villages).count(),
        "ngos": NGO.objects.filter(slug__in=[item.slug for item in data.NGOS]).count(),
        "products": products.count(),
        "published": products.filter(is_published=True).count(),
        "variants": Variant.objects.filter(product__in=products).count(),
        "photos_ready": images.filter(status=ImageStatus.READY).count(),
        "photos_waiting": images.filter(~Q(status=ImageStatus.READY)).count(),
        "sponsors": Sponsor.objects.filter(name__in=[item.name for item in data.SPONSORS]).count(),
        "campaigns": Campaign.objects.filter(sponsor__name__in=[item.name for item in data.SPONSORS]).count(),
        "stories": ContentItem.objects.filter(village__in=villages, status=ContentStatus.PUBLISHED).count(),
    }
