from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# ImageStatus and PrivateMediaStorage moved to core; still importable from here, and private_storage
# is named by the migrations of shop and promotion.
from core.image_models import ImageStatus, PrivateMediaStorage, ProcessedImage, private_storage  # noqa: F401
from core.model_loading import FastRows
from farmers.models import Cooperative, Farmer, Village

from ..limits import MAX_PRICE

MAX_VARIANTS_PER_PRODUCT = 20
MAX_IMAGES_PER_PRODUCT = 8


def exactly_one_seller(name: str) -> models.CheckConstraint:
    """Goods, and parcels of them, belong to a farmer or to a cooperative: never both, never neither."""
    return models.CheckConstraint(
        condition=(
            models.Q(farmer__isnull=False, cooperative__isnull=True)
            | models.Q(farmer__isnull=True, cooperative__isnull=False)
        ),
        name=name,
    )


class Category(FastRows, models.Model):
    """Two levels: a top category (水果 fruit) and its subcategories (柑橘 citrus)."""

    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent category")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": ValidationError(_("Categories have two levels only."), code="invalid")})
        if self.pk and self.parent_id and self.children.exists():
            raise ValidationError(
                {"parent": ValidationError(_("A category with subcategories cannot have a parent."), code="invalid")}
            )
        if self.pk and self.parent_id == self.pk:
            raise ValidationError(
                {"parent": ValidationError(_("A category cannot be its own parent."), code="invalid")}
            )

    @property
    def display_name(self):
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class Product(FastRows, models.Model):
    """Goods of one seller (a farmer or a cooperative), so of one village."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    category = models.ForeignKey(Category, models.PROTECT, related_name="products", verbose_name=_("category"))
    farmer = models.ForeignKey(
        Farmer, models.PROTECT, null=True, blank=True, related_name="products", verbose_name=_("farmer")
    )
    cooperative = models.ForeignKey(
        Cooperative, models.PROTECT, null=True, blank=True, related_name="products", verbose_name=_("cooperative")
    )
    village = models.ForeignKey(Village, models.PROTECT, related_name="products", verbose_name=_("village"))
    description = models.TextField(_("description"), max_length=4000, blank=True, validators=[MaxLengthValidator(4000)])
    harvest_date = models.DateField(_("harvest date"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    # A pending farmer's finished listing: published by shop.receivers when the farmer is verified.
    publish_when_verified = models.BooleanField(_("publish once the seller is verified"), default=False)
    # Kept by shop.catalog.refresh_product_summary whenever variants change.
    min_price = models.DecimalField(
        _("lowest price"), max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    in_stock = models.BooleanField(_("in stock"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [exactly_one_seller("product_has_exactly_one_seller")]
        indexes = [models.Index(fields=["is_published", "min_price"])]

    def __str__(self):
        return self.name

    @property
    def seller(self):
        return self.farmer if self.farmer_id else self.cooperative

    @property
    def seller_is_verified(self) -> bool:
        return self.seller.is_verified

    @property
    def card_image(self) -> "ProductImage | None":
        """The photo a product card shows: the first processed one. Lists loaded by
        `shop.selectors.with_card_relations` carry it in the same query (`card_photo`); others
        have `ready_images` prefetched; without either, no photo (never a query a card)."""
        if hasattr(self, "card_photo"):
            if not self.card_photo:
                return None
            return ProductImage(product=self, small=self.card_photo, alt=self.card_photo_alt or "")
        ready = getattr(self, "ready_images", None)
        return ready[0] if ready else None


class Variant(FastRows, models.Model):
    """A way the product is sold: 5 斤 box, 10 斤 box. Price in CNY, stock in units."""

    product = models.ForeignKey(Product, models.CASCADE, related_name="variants", verbose_name=_("product"))
    name = models.CharField(_("unit"), max_length=40)
    sku = models.CharField(_("SKU"), max_length=40, blank=True)
    price = models.DecimalField(
        _("price (CNY)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_PRICE)],
    )
    stock = models.PositiveIntegerField(_("stock"), default=0)
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=7,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="variant_price_positive"),
            # Every order's totals fit their columns (shop.limits).
            models.CheckConstraint(condition=models.Q(price__lte=MAX_PRICE), name="variant_price_at_most_max"),
            models.CheckConstraint(condition=models.Q(weight_kg__gte=0), name="variant_weight_not_negative"),
        ]

    def __str__(self):
        return f"{self.product.name} · {self.name}"


def _image_path(instance, filename):
    """Named by migration 0001; the field now uses core.image_models.processed_image_path."""
    return f"products/{instance.product_id}/{filename}"


class ProductImage(ProcessedImage):
    """A photo, shown to shoppers only once processed (re-encoded, metadata stripped)."""

    product = models.ForeignKey(Product, models.CASCADE, related_name="images", verbose_name=_("product"))
    alt = models.CharField(_("description of the photo"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")

    def __str__(self):
        return f"{self.product.name} #{self.position}"

    def upload_folder(self) -> str:
        return f"products/{self.product_id}"
