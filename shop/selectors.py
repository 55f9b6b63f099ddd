"""Reads of the catalog that more than one caller needs: what shoppers may see, and how to load it."""

from collections import defaultdict
from functools import cache

from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.query import ModelIterable

from core.kept_statements import KeptStatement
from farmers.models import VerificationState, Village

from .models import Category, ImageStatus, Product, ProductImage, Variant


def visible_products():
    """Shoppers see products that are published, priced, and sold by a verified farmer or cooperative."""
    verified = VerificationState.VERIFIED
    return Product.objects.filter(is_published=True, min_price__isnull=False).filter(
        Q(farmer__verification_state=verified) | Q(cooperative__verification_state=verified)
    )


# The relations `with_catalog_relations` loads, named by the Product field that shows each.
CATALOG_RELATIONS = frozenset({"category", "village", "farmer", "cooperative", "variants", "images"})


def with_catalog_relations(queryset, relations=CATALOG_RELATIONS, variants_as_list: bool = False):
    """Everything a product card shows, in a fixed number of queries whatever the page size.

    Villages (with county and province) and categories are few and shared by many products, so
    they are loaded once each rather than joined into every row: the product query stays small to
    plan, and a page builds a few dozen place objects instead of one set per row. The villages of
    the products, their farmers and their cooperatives come in one query (`_CatalogRows`), each
    village one object wherever it shows.

    `relations` (of CATALOG_RELATIONS): only these, for a reader that shows fewer (an API client
    that asked for names and prices); each is a query, and building it costs more than running it.

    `variants_as_list`: the variants as a list, `listed_variants`, rather than behind
    `product.variants.all()`, for a reader that only shows them (the API's lists): Django gives
    each product a queryset of its own for `.all()`, a filtered copy that costs more than the
    variants themselves.

    On PostgreSQL the categories, the villages and the lists kept as attributes come from
    statements compiled once a process (`core.kept_statements`); elsewhere from Django's
    prefetching and `in_bulk`, the same objects.
    """
    variants, listed = _list_queryset("variants")
    joined = [name for name in ("farmer", "cooperative") if name in relations]
    if "farmer" in relations:
        joined[joined.index("farmer")] = "farmer__cooperative"
    kept = connections[queryset.db].vendor == "postgresql"
    # Loaded by _CatalogRows: the category, and the lists kept as attributes.
    loaded = ()
    if kept:
        loaded = tuple(name for name in ("category", "variants", "images") if name in relations)
        loaded = tuple(name for name in loaded if name != "variants" or variants_as_list)
    prefetches = {
        "category": [Prefetch("category", queryset=_categories())],
        "variants": [Prefetch("variants", queryset=variants, to_attr=listed if variants_as_list else None)],
        "images": [_ready_images()],
    }
    if joined:
        queryset = queryset.select_related(*joined)
    queryset = queryset.prefetch_related(
        *(p for name, some in prefetches.items() if name in relations and name not in loaded for p in some)
    )
    places = tuple(name for name in ("village", "farmer", "cooperative") if name in relations)
    if places or loaded:
        queryset._iterable_class = _catalog_rows(places, loaded, kept)
    return queryset


class _CatalogRows(ModelIterable):
    """Products as Django loads them, then:

    - the villages (with county and province) of the products (`village`), of their farmers
      (`farmer`) and of their cooperatives (`cooperative`), whichever `places` names, in one
      query: what three prefetches would load, one object a village;
    - whichever `loaded` names of the category (with its parent) and the lists (`variants` as
      `listed_variants`, `images` as `ready_images`), one query each.

    With `kept`, those queries are statements compiled once a process (`_statement`): Django
    builds and compiles a query afresh for every page, which costs more than running these.
    """

    places: tuple[str, ...] = ()
    loaded: tuple[str, ...] = ()
    kept: bool = False

    def __iter__(self):
        products = list(super().__iter__())
        db = self.queryset.db
        if self.places:
            self._attach_places(products, db)
        for name in self.loaded:
            if name == "category":
                _attach_categories(products, db)
            else:
                _attach_list(products, name, db)
        return iter(products)

    def _attach_places(self, products, db):
        holders = []
        for product in products:
            if "village" in self.places:
                holders.append(product)
            for seller in ("farmer", "cooperative"):
                if seller in self.places and getattr(product, f"{seller}_id") is not None:
                    holders.append(getattr(product, seller))
        wanted = {holder.village_id for holder in holders if not _village_field(holder).is_cached(holder)}
        if wanted:
            if self.kept:
                found = {village.pk: village for village in _statement("villages", db).objects(wanted)}
            else:
                found = _villages().using(db).in_bulk(wanted)
            for holder in holders:
                village = found.get(holder.village_id)
                if village is not None:
                    _village_field(holder).set_cached_value(holder, village)


@cache
def _catalog_rows(places: tuple[str, ...], loaded: tuple[str, ...], kept: bool) -> type[_CatalogRows]:
    """A class (Django's Prefetch accepts only ModelIterable subclasses), one for each choice."""
    return type("_CatalogRows", (_CatalogRows,), {"places": places, "loaded": loaded, "kept": kept})


def _villages():
    return Village.objects.select_related("county__province").order_by()


def _categories():
    return Category.objects.select_related("parent")


# The attribute each list a product card shows is kept in (as Prefetch's `to_attr`).
_LIST_ATTRIBUTES = {"variants": "listed_variants", "images": "ready_images"}


def _list_queryset(name: str):
    """What a product's list `name` holds, in its order, and the attribute it is kept in."""
    if name == "variants":
        return Variant.objects.order_by("position", "id"), _LIST_ATTRIBUTES[name]
    return ProductImage.objects.filter(status=ImageStatus.READY).order_by("position", "id"), _LIST_ATTRIBUTES[name]


@cache
def _statement(name: str, db: str) -> KeptStatement:
    """The catalogue's lookups by ids, each compiled once a process and database."""
    if name == "villages":
        return KeptStatement(_villages(), "pk", db)
    if name == "category":
        return KeptStatement(_categories().order_by(), "pk", db)
    return KeptStatement(_list_queryset(name)[0], "product_id", db)


def _attach_categories(products, db: str) -> None:
    """Each product's category (with its parent), as a prefetch of `category` leaves it."""
    wanted = {product.category_id for product in products}
    found = {category.pk: category for category in _statement("category", db).objects(wanted)} if wanted else {}
    category_field = Product._meta.get_field("category")
    for product in products:
        category_field.set_cached_value(product, found.get(product.category_id))


def _attach_list(products, name: str, db: str) -> None:
    """Each product's list `name` as an attribute, as Prefetch(to_attr=...) keeps it, each item
    knowing its product."""
    attribute = _LIST_ATTRIBUTES[name]
    found = defaultdict(list)
    if products:
        by_id = {product.pk: product for product in products}
        statement = _statement(name, db)
        product_field = statement.model._meta.get_field("product")
        for item in statement.objects(by_id):
            product_field.set_cached_value(item, by_id[item.product_id])
            found[item.product_id].append(item)
    for product in products:
        setattr(product, attribute, list(found.get(product.pk, ())))


def _village_field(holder):
    return holder._meta.get_field("village")


def _ready_images():
    images, attribute = _list_queryset("images")
    return Prefetch("images", queryset=images, to_attr=attribute)


# What a product card shows: templates/search/_result.html and the shop's lists of cards.
CARD_FIELDS = (
    "id",
    "name",
    "slug",
    "min_price",
    "in_stock",
    "village__name",
    "village__slug",
    "village__county__name",
    "village__county__province__name",
)


def with_card_relations(queryset):
    """A card's columns and nothing more (name, slug, price, stock, the first processed photo as
    `card_photo` and `card_photo_alt`, read by `Product.card_image`; the village with its county and
    province), in one query. For long lists of cards, where `with_catalog_relations`' seven queries
    cost more to build than to run; any other field read from these products is a query each."""
    first_photo = ProductImage.objects.filter(product=OuterRef("pk"), status=ImageStatus.READY).order_by(
        "position", "id"
    )
    return (
        queryset.select_related("village__county__province")
        .only(*CARD_FIELDS)
        .annotate(
            card_photo=Subquery(first_photo.values("small")[:1]),
            card_photo_alt=Subquery(first_photo.values("alt")[:1]),
        )
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
