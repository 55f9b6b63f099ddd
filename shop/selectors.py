"""Reads of the catalog that more than one caller needs: what shoppers may see, and how to load it."""

from django.db.models import Exists, OuterRef, Prefetch, Q

from farmers.models import VerificationState, Village

from .models import Category, ImageStatus, Product, ProductImage, Variant


def visible_products():
    """Shoppers see products that are published, priced, and sold by a verified farmer or cooperative."""
    verified = VerificationState.VERIFIED
    return Product.objects.filter(is_published=True, min_price__isnull=False).filter(
        Q(farmer__verification_state=verified) | Q(cooperative__verification_state=verified)
    )


def with_catalog_relations(queryset):
    """Everything a product card shows, in a fixed number of queries whatever the page size.

    Villages (with county and province) and categories are few and shared by many products, so
    they are prefetched once each rather than joined into every row: the product query stays
    small to plan, and a page builds a few dozen place objects instead of one set per row.
    """
    places = Village.objects.select_related("county__province")
    return queryset.select_related("farmer__cooperative", "cooperative").prefetch_related(
        Prefetch("category", queryset=Category.objects.select_related("parent")),
        Prefetch("village", queryset=places),
        Prefetch("farmer__village", queryset=places),
        Prefetch("cooperative__village", queryset=places),
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        Prefetch(
            "images",
            queryset=ProductImage.objects.filter(status=ImageStatus.READY).order_by("position", "id"),
            to_attr="ready_images",
        ),
    )


def filter_products(
    queryset, *, category=None, village=None, county=None, farmer=None, price_gte=None, price_lte=None, in_stock=None
):
    if category is not None:
        queryset = queryset.filter(Q(category=category) | Q(category__parent=category))
    if village is not None:
        queryset = queryset.filter(village=village)
    if county is not None:
        queryset = queryset.filter(village__county=county)
    if farmer is not None:
        queryset = queryset.filter(farmer=farmer)
    if price_gte is not None or price_lte is not None:
        variants = Variant.objects.filter(product=OuterRef("pk"))
        if price_gte is not None:
            variants = variants.filter(price__gte=price_gte)
        if price_lte is not None:
            variants = variants.filter(price__lte=price_lte)
        queryset = queryset.filter(Exists(variants))
    if in_stock is not None:
        queryset = queryset.filter(in_stock=in_stock)
    return queryset


SORT_FIELDS = {
    "CREATED_AT": "created_at",
    "PRICE": "min_price",
    "NAME": "name",
    "HARVEST_DATE": "harvest_date",
}


def sort_products(queryset, field: str = "CREATED_AT", descending: bool = True):
    column = SORT_FIELDS[field]
    order = f"-{column}" if descending else column
    tie = "-id" if descending else "id"
    return queryset.order_by(order, tie)


def top_categories():
    return Category.objects.filter(parent__isnull=True).prefetch_related("children")


# --- Seller pages -----------------------------------------------------------------------------


def with_seller_relations(queryset):
    """Everything a row of "my products" shows, in a fixed number of queries."""
    return queryset.select_related("farmer", "cooperative", "category", "created_by__farmer").prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"), to_attr="all_images"),
    )


def listing_state(product) -> str:
    """Where a listing stands, in one word the seller pages turn into a sentence:
    `published`, `waiting` (published once the seller is verified), `draft`, or `suspended` /
    `rejected` (hidden whatever its flags, because of the seller)."""
    seller_state = product.seller.verification_state
    if seller_state in (VerificationState.SUSPENDED, VerificationState.REJECTED):
        return seller_state
    if product.is_published and seller_state == VerificationState.VERIFIED:
        return "published"
    if product.publish_when_verified:
        return "waiting"
    return "draft"


def subcategories_by_top():
    """[(top, [subcategories])] in display order: the grouped choices of a listing's category."""
    tops = Category.objects.filter(parent__isnull=True).prefetch_related(
        Prefetch("children", queryset=Category.objects.order_by("position", "name"))
    )
    return [(top, list(top.children.all())) for top in tops]
