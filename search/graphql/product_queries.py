"""`products(search:)`: the catalogue's listing, narrowed to what a search matches. The field
lives here because search sits above shop: shop lists and filters, and knows nothing of search."""

import graphene

from core.graphql.connection import ConnectionField
from shop.graphql.queries import ProductFilterInput, ProductSortingInput, product_listing
from shop.graphql.types import ProductType

from .. import product_search
from ..analysis import QueryTooLong
from ..backends import SearchUnavailable
from .queries import too_long, unavailable


class ProductQueries(graphene.ObjectType):
    products = ConnectionField(
        ProductType,
        filter=ProductFilterInput(),
        sort_by=ProductSortingInput(),
        search=graphene.String(
            description="Only products matching this search (as `search` finds them), best match first "
            "unless `sortBy` is given. Matches beyond the best 1,000 are left out."
        ),
        description="Products shoppers can buy: published, priced, sold by verified farmers or cooperatives.",
    )

    @staticmethod
    def resolve_products(root, info, filter=None, sort_by=None, search=None, **_page):
        matching = _matching_ids(search) if search is not None and search.strip() else None
        return product_listing(filter, sort_by, matching)


def _matching_ids(text: str) -> list[int]:
    try:
        return product_search.matching_product_ids(text)
    except QueryTooLong:
        raise too_long("search") from None
    except SearchUnavailable:
        raise unavailable() from None
