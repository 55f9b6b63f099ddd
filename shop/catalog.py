"""Every change to the catalog goes through these functions: checks, then one consistent write."""

import re
import unicodedata
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

from .models import MAX_IMAGES_PER_PRODUCT, MAX_VARIANTS_PER_PRODUCT, ImageStatus, Product, ProductImage, Variant
from .permissions import can_manage_product
from .signals import products_changed

MAX_PRICE = Decimal("99999999.99")
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
        too_large=_("The price is too high."),
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


def clean_weight(value, field: str = "weight_kg") -> Decimal:
    try:
        weight = parse_amount(value)
    except (TypeError, ValueError):
        raise field_error(field, _("Enter the weight in kilograms."), "invalid") from None
    if weight < 0 or weight > Decimal("9999.999"):
        raise field_error(field, _("The weight must be between 0 and 9999 kg."), "invalid")
    if weight != weight.quantize(Decimal("0.001")):
        raise field_error(field, _("Give the weight to the gram at most (three decimal places)."), "invalid")
    return weight.quantize(Decimal("0.001"))


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
    actor, product: Product, *, name: str, price, stock: int = 0, weight_kg=Decimal("0"), sku: str = ""
) -> Variant:
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
