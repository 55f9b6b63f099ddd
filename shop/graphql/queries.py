from collections.abc import Sequence
from functools import partial

import graphene
from graphql import GraphQLError

from core.graphql.fields import decode_node_id, node_by_id_or_slug
from core.graphql.scalars import ExactDecimal
from farmers.graphql.types import CountyType, FarmerType, VillageType

from .. import permissions, selectors
from ..limits import MAX_PRICE
from ..visible_count import visible_count
from .types import CategoryType, ProductType


class PriceRangeInput(graphene.InputObjectType):
    gte = ExactDecimal(description="At least this price (CNY).")
    lte = ExactDecimal(description="At most this price (CNY).")


class ProductFilterInput(graphene.InputObjectType):
    category = graphene.ID(description="A category; a top category includes its subcategories.")
    village = graphene.ID()
    county = graphene.ID()
    farmer = graphene.ID()
    price_range = PriceRangeInput(description="Products with a variant priced in this range.")
    in_stock = graphene.Boolean()


class ProductSortField(graphene.Enum):
    CREATED_AT = "CREATED_AT"
    PRICE = "PRICE"
    NAME = "NAME"
    HARVEST_DATE = "HARVEST_DATE"


class OrderDirection(graphene.Enum):
    ASC = "ASC"
    DESC = "DESC"


class ProductSortingInput(graphene.InputObjectType):
    field = ProductSortField(required=True)
    direction = OrderDirection(required=True)


def product_listing(filter=None, sort_by=None, matching: list[int] | None = None):
    """What `products` lists: the visible catalogue filtered and sorted. `matching` (product ids,
    best first, from a search) keeps only those, in that order unless `sort_by` is given."""
    products = selectors.filter_products(selectors.visible_products(), **_filter_args(filter or {}))
    if matching is not None:
        products = products.filter(pk__in=matching)
        if not sort_by:
            return InOrderOf(products, matching)
    if sort_by:
        # graphene 3 hands enum inputs over as enum members.
        products = selectors.sort_products(products, sort_by.field.value, sort_by.direction.value == "DESC")
    else:
        products = selectors.sort_products(products)
    listing = selectors.with_catalog_relations(products, variants_as_list=True)
    if not filter and matching is None:
        # The whole visible catalogue: its count is kept between changes (shop.visible_count).
        listing.count_rows = partial(visible_count, listing.count)
    return listing


class ShopQueries(graphene.ObjectType):
    product = graphene.Field(
        ProductType, id=graphene.ID(), slug=graphene.String(), description="One product, by ID or by slug."
    )
    categories = graphene.List(graphene.NonNull(CategoryType), required=True, description="Top-level categories.")

    @staticmethod
    def resolve_product(root, info, id=None, slug=None):
        visible = selectors.with_catalog_relations(permissions.products_visible_to(info.context.user))
        return node_by_id_or_slug(info, ProductType, id, slug, visible, "product")

    @staticmethod
    def resolve_categories(root, info):
        return selectors.top_categories()


class InOrderOf(Sequence):
    """Products in the order of a list of ids (best match first), loaded a page at a time.

    The ids the filters keep are read in one query and ordered here: ordering up to 1,000 rows
    by their place in a list is slow in SQL (a CASE, or a string search, per row), and only the
    page asked for is loaded, with everything its cards show."""

    def __init__(self, products, ids: list[int], kept: list[int] | None = None):
        self.products = products
        if kept is None:
            found = set(products.filter(pk__in=ids).values_list("pk", flat=True))
            kept = [pk for pk in ids if pk in found]
        self.ids = kept

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return InOrderOf(self.products, [], self.ids[index])
        return list(self)[index]

    def __iter__(self):
        if not self.ids:
            return iter(())
        loaded = selectors.with_catalog_relations(self.products.filter(pk__in=self.ids), variants_as_list=True)
        loaded = loaded.in_bulk()
        return (loaded[pk] for pk in self.ids if pk in loaded)


def _filter_args(data) -> dict:
    args = {}
    for field, node_type in (
        ("category", CategoryType),
        ("village", VillageType),
        ("county", CountyType),
        ("farmer", FarmerType),
    ):
        if data.get(field) is not None:
            args[field] = decode_node_id(data[field], node_type, f"filter.{field}")
    price_range = data.get("price_range")
    if price_range:
        for bound in ("gte", "lte"):
            value = price_range.get(bound)
            if value is not None and not (0 <= value <= MAX_PRICE):
                raise GraphQLError(
                    f"A price bound is between 0 and {MAX_PRICE}.",
                    extensions={"code": "INVALID", "field": f"filter.priceRange.{bound}"},
                )
        args["price_gte"], args["price_lte"] = price_range.get("gte"), price_range.get("lte")
    if data.get("in_stock") is not None:
        args["in_stock"] = data["in_stock"]
    return args
