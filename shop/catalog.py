"""Every change to the catalog goes through these functions: checks, then one consistent write."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from core import image_services, slugs
from core.errors import field_error
from core.image_services import (
    accept_upload,
    checked_upload,
    delete_image_files,
    read_upload,  # noqa: F401 - the seller form checks photos with services.read_upload
)
from core.money import FEN, AmountWords, clean_amount, parse_amount
from farmers.models import Cooperative, Farmer
from farmers.permissions import can_act_for_cooperative, can_act_for_farmer

from .limits import MAX_PRICE
from .models import MAX_IMAGES_PER_PRODUCT, MAX_VARIANTS_PER_PRODUCT, ImageStatus, Product, ProductImage, Variant
from .permissions import can_manage_product
from .signals import products_changed

MAX_STOCK = 10_000_000
PRODUCT_FIELDS = ("name", "category", "description", "harvest_date", "is_published", "publish_when_verified")
VARIANT_FIELDS = ("name", "sku", "price", "stock", "weight_kg")


def _ensure_can_manage(user, product: Product) -> None:
    if not can_manage_product(user, product):
        raise PermissionDenied(_("You can only change your own products."))


def _resolve_seller(actor, farmer: Farmer | None, cooperative: Cooperative | None):
    if farmer and cooperative:
        raise field_error("cooperative", _("A product belongs to a farmer or to a cooperative, not both."), "invalid")
    if not farmer and not cooperative:
        farmer = getattr(actor, "farmer", None)
        if farmer is None:
            raise field_error("farmer", _("Choose the farmer or cooperative selling this product."), "required")
    if farmer and not can_act_for_farmer(actor, farmer):
        raise PermissionDenied(_("You can only list goods for yourself or your cooperative's members."))
    if cooperative and not can_act_for_cooperative(actor, cooperative):
        raise PermissionDenied(_("You do not manage this cooperative."))
    return farmer, cooperative


# --- Validation of values ---------------------------------------------------------------------


def clean_price(value, field: str = "price") -> Decimal:
    words = AmountWords(
        invalid=_("Enter the price as a number, e.g. 39.90."),
        too_small=_("The price must be more than zero."),
        too_large=_("The price can be at most %(max)s yuan.") % {"max": f"{MAX_PRICE:,}"},
        too_precise=_("A price has at most two decimal places (fen)."),
    )
    return clean_amount(value, field, maximum=MAX_PRICE, code="invalid_price", words=words)


def clean_stock(value, field: str = "stock") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise field_error(field, _("Stock must be a whole number."), "invalid_stock")
    if value < 0:
        raise field_error(field, _("Stock cannot be negative."), "invalid_stock")
    if value > MAX_STOCK:
        raise field_error(field, _("Stock is too large."), "invalid_stock")
    return value


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value, field: str, multiline: bool = False) -> str:
    """Trimmed text without control characters (PostgreSQL refuses NUL; none belongs in a listing)."""
    text = (value or "").strip()
    found = CONTROL_CHARACTERS.search(text) or (not multiline and re.search(r"[\r\n\t]", text))
    if found:
        raise field_error(field, _("Remove the invisible control characters from this text."), "invalid")
    if text and not "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip():
        # Only zero-width or other format characters: it would look empty on every page.
        raise field_error(field, _("This text has nothing visible in it."), "invalid")
    return text


# A size's weight prices its parcel (shop.shipping). Farmers weigh in 斤 (half a kilogram); the
# catalog stores kilograms. 50 kg (100 斤) is the most one courier parcel takes.
KG_PER_JIN = Decimal("0.5")
MAX_WEIGHT_KG = Decimal("50")


@dataclass(frozen=True)
class WeightWords:
    """What a weight check says, in the unit the person typed."""

    required: str
    invalid: str
    too_small: str
    too_large: str
    too_precise: str


def _check_weight(value, field: str, *, kg_per_unit: Decimal, places: Decimal, words: WeightWords) -> Decimal:
    """More than zero and at most MAX_WEIGHT_KG; returned in kilograms (three places, to the gram)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise field_error(field, words.required, "required")
    try:
        weight = parse_amount(value)
    except (TypeError, ValueError):
        raise field_error(field, words.invalid, "invalid") from None
    if weight <= 0:
        raise field_error(field, words.too_small, "invalid")
    if weight * kg_per_unit > MAX_WEIGHT_KG:
        raise field_error(field, words.too_large, "invalid")
    if weight != weight.quantize(places):
        raise field_error(field, words.too_precise, "invalid")
    return (weight * kg_per_unit).quantize(Decimal("0.001"))


def clean_weight(value, field: str = "weight_kg") -> Decimal:
    """The weight of one unit in kilograms, as the API takes it."""
    words = WeightWords(
        required=_("Enter the weight of one unit in kilograms: shipping is priced by it."),
        invalid=_("Enter the weight in kilograms."),
        too_small=_("The weight must be more than 0 kg."),
        too_large=_("One unit can weigh at most 50 kg."),
        too_precise=_("Give the weight to the gram at most (three decimal places)."),
    )
    return _check_weight(value, field, kg_per_unit=Decimal("1"), places=Decimal("0.001"), words=words)


def clean_weight_jin(value, field: str = "weight") -> Decimal:
    """The weight of one unit typed in 斤, as the farmer's forms take it; returned in kilograms."""
    words = WeightWords(
        required=_("Fill in how many 斤 one unit weighs: shipping is priced by it."),
        invalid=_("Type the number of 斤 only, like 5 or 2.5."),
        too_small=_("The weight must be more than 0 斤."),
        too_large=_("One unit can weigh at most 100 斤 (50 kg)."),
        too_precise=_("At most two decimal places, like 2.5."),
    )
    return _check_weight(value, field, kg_per_unit=KG_PER_JIN, places=Decimal("0.01"), words=words)


def jin(weight_kg: Decimal) -> Decimal:
    """A stored weight in 斤, for the farmer's forms (2.500 kg → 5)."""
    return (weight_kg / KG_PER_JIN).quantize(Decimal("0.01")).normalize()


def needs_weight(variant: Variant) -> bool:
    """A size listed before weights were asked for: its parcels are priced as if it weighed nothing."""
    return needs_weight_kg(variant.weight_kg)


def needs_weight_kg(weight_kg: Decimal) -> bool:
    return weight_kg <= 0


def check_publishable(product: Product) -> None:
    if product.is_published and not product.seller_is_verified:
        raise field_error(
            "is_published",
            _("You can publish only after your account is verified; save the listing unpublished for now."),
            "seller_not_verified",
        )


def new_slug(name: str) -> str:
    return slugs.new_slug(name, Product, "product")


# --- Products ---------------------------------------------------------------------------------


@transaction.atomic
def create_product(
    actor,
    *,
    name: str,
    category,
    farmer: Farmer | None = None,
    cooperative: Cooperative | None = None,
    description: str = "",
    harvest_date=None,
    is_published: bool = False,
    publish_when_verified: bool = False,
    variants: list[dict] | None = None,
) -> Product:
    """`publish_when_verified` is how a farmer's form submits a listing: published now when the
    seller is verified, otherwise kept until verification publishes it. `is_published` is the API's
    plain switch, refused for an unverified seller."""
    farmer, cooperative = _resolve_seller(actor, farmer, cooperative)
    seller = farmer or cooperative
    product = Product(
        name=clean_text(name, "name"),
        category=category,
        farmer=farmer,
        cooperative=cooperative,
        village=seller.village,
        description=clean_text(description, "description", multiline=True),
        harvest_date=harvest_date,
        is_published=bool(is_published),
        created_by=actor,
        slug=new_slug(name or ""),
    )
    if publish_when_verified:
        product.is_published = seller.is_verified
        product.publish_when_verified = not seller.is_verified
    check_publishable(product)
    product.full_clean(validate_constraints=False)  # the one-seller rule is _resolve_seller's
    product.save()
    for index, variant in enumerate(variants or []):
        try:
            create_variant(actor, product, **variant)
        except ValidationError as exc:
            raise ValidationError(
                {f"variants.{index}.{field}": errors for field, errors in exc.error_dict.items()}
            ) from None
    product.refresh_from_db()
    return product


@transaction.atomic
def update_product(actor, product: Product, **changes) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    _ensure_can_manage(actor, product)
    for field, value in changes.items():
        if field not in PRODUCT_FIELDS:
            raise ValueError(f"{field} cannot be changed here")
        if field in ("name", "description"):
            value = clean_text(value, field, multiline=field == "description")
        setattr(product, field, value)
    if changes.get("is_published") is False:
        product.publish_when_verified = False  # unpublishing also withdraws a waiting listing
    if changes.get("publish_when_verified"):
        product.is_published = product.seller_is_verified
        product.publish_when_verified = not product.seller_is_verified
    check_publishable(product)
    product.full_clean(validate_constraints=False)  # the seller does not change here
    product.save()
    return product


@transaction.atomic
def delete_product(actor, product: Product) -> None:
    _ensure_can_manage(actor, product)
    images = list(product.images.all())
    product.delete()
    transaction.on_commit(lambda: [delete_image_files(image) for image in images])


# --- Variants ---------------------------------------------------------------------------------


@transaction.atomic
def create_variant(
    actor, product: Product, *, name: str, price, stock: int = 0, weight_kg=None, sku: str = ""
) -> Variant:
    """`weight_kg` is required (more than 0, at most 50 kg): shipping is priced by it."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    _ensure_can_manage(actor, product)
    if product.variants.count() >= MAX_VARIANTS_PER_PRODUCT:
        raise field_error(
            "product", _("A product has at most %(max)d variants."), "too_many_variants", max=MAX_VARIANTS_PER_PRODUCT
        )
    position = (product.variants.aggregate(top=Max("position"))["top"] or 0) + 1
    variant = Variant(
        product=product,
        name=clean_text(name, "name"),
        sku=clean_text(sku, "sku"),
        price=clean_price(price),
        stock=clean_stock(stock),
        weight_kg=clean_weight(weight_kg),
        position=position,
    )
    variant.full_clean(validate_constraints=False)  # clean_* above check them
    variant.save()
    refresh_product_summary(product)
    return variant


@transaction.atomic
def update_variant(actor, variant: Variant, **changes) -> Variant:
    variant = Variant.objects.select_for_update().select_related("product").get(pk=variant.pk)
    _ensure_can_manage(actor, variant.product)
    cleaners = {"price": clean_price, "stock": clean_stock, "weight_kg": clean_weight}
    for field, value in changes.items():
        if field not in VARIANT_FIELDS:
            raise ValueError(f"{field} cannot be changed here")
        value = cleaners[field](value) if field in cleaners else clean_text(value, field)
        setattr(variant, field, value)
    variant.full_clean(validate_constraints=False)  # clean_* above check them
    variant.save()
    refresh_product_summary(variant.product)
    return variant


def refresh_product_summary(product: Product) -> None:
    """Recompute the denormalised lowest price and in-stock flag the catalog filters and sorts on."""
    summary = product.variants.aggregate(low=Min("price"), most=Max("stock"))
    low = summary["low"]
    # SQLite's MIN() drops trailing zeros; money always has two places.
    product.min_price = Decimal(low).quantize(FEN) if low is not None else None
    product.in_stock = bool(summary["most"])
    Product.objects.filter(pk=product.pk).update(min_price=product.min_price, in_stock=product.in_stock)


# --- Images -----------------------------------------------------------------------------------


@transaction.atomic
def add_product_image(actor, product: Product, upload, alt: str = "") -> ProductImage:
    """Check the file at once (so the farmer sees the problem), then process it on a task."""
    _ensure_can_manage(actor, product)
    if product.images.exclude(status=ImageStatus.FAILED).count() >= MAX_IMAGES_PER_PRODUCT:
        raise field_error(
            "image", _("A product has at most %(max)d photos."), "too_many_images", max=MAX_IMAGES_PER_PRODUCT
        )
    data = checked_upload(upload, "image")
    position = (product.images.aggregate(top=Max("position"))["top"] or 0) + 1
    image = ProductImage(product=product, alt=clean_text(alt, "alt")[:120], position=position)
    return accept_upload(image, data)


def process_image(image_id: int) -> ProductImage | None:
    """Clean a pending product photo (what core.tasks.process_image does for `shop.productimage`)."""
    return image_services.process_image(ProductImage, image_id)


def sync_in_stock(product_ids) -> None:
    """After stock moved (a sale, a cancellation): fix the in-stock flag of just the products whose
    flag is now wrong, in one UPDATE each way, so a busy product's row is written only when it
    sells out or comes back."""
    from django.db.models import Exists, OuterRef

    available = Exists(Variant.objects.filter(product=OuterRef("pk"), stock__gt=0))
    products = Product.objects.filter(pk__in=list(product_ids))
    sold_out = products.filter(in_stock=True).exclude(available).update(in_stock=False)
    back = products.filter(in_stock=False).filter(available).update(in_stock=True)
    if sold_out or back:
        products_changed.send(sender=Product, product_ids=list(product_ids))
