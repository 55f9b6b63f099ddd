"""`search` and `searchSuggest`: parse the input, ask `search.product_search`, shape the answer.
Every way the input can be wrong is a coded GraphQL error (or an empty result), never a 500."""

from types import SimpleNamespace

import graphene
from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode
from graphql_relay import cursor_to_offset, offset_to_cursor

from core.graphql.connection import check_page_arguments
from core.graphql.fields import decode_node_id
from shop.selectors import CATALOG_RELATIONS, with_catalog_relations

from .. import product_search
from ..analysis import MAX_QUERY_LENGTH, QueryTooLong
from ..backends import SearchUnavailable
from ..query import FACETS, MAX_PAGE_SIZE, MAX_WINDOW, PRICE_RANGES_BY_KEY, Page, SearchFilters
from .types import (
    FACET_NODE_TYPES,
    ProductSearchResults,
    SearchFilterInput,
    SearchSort,
    SearchSuggestion,
)

DEFAULT_PAGE_SIZE = 20
DEFAULT_SUGGESTIONS = 8
MAX_SUGGESTIONS = 20


class SearchQueries(graphene.ObjectType):
    search = graphene.Field(
        ProductSearchResults,
        query=graphene.String(
            description=f"What the shopper typed (at most {MAX_QUERY_LENGTH} characters); "
            "empty or absent: browse everything."
        ),
        filter=SearchFilterInput(),
        sort_by=graphene.Argument(SearchSort, default_value=SearchSort.RELEVANCE.value),
        first=graphene.Int(description=f"Page size: {DEFAULT_PAGE_SIZE} by default, at most {MAX_PAGE_SIZE}."),
        after=graphene.String(),
        description="Products matching what a shopper typed, in Chinese, pinyin or English, with facets.",
    )
    search_suggest = graphene.List(
        graphene.NonNull(SearchSuggestion),
        required=True,
        prefix=graphene.String(required=True),
        first=graphene.Int(default_value=DEFAULT_SUGGESTIONS, description=f"At most {MAX_SUGGESTIONS}."),
        description="Product names completing what is being typed, best first.",
    )

    @staticmethod
    def resolve_search(root, info, query=None, filter=None, sort_by=SearchSort.RELEVANCE.value, first=None, after=None):
        page = _page(first, after)
        filters = search_filters(filter or {})
        want_facets = _selects(info, "facets")
        try:
            found = product_search.search_products(
                query or "",
                filters,
                sort=_sort_value(sort_by),
                page=page,
                facets=want_facets,
                load=_product_loader(info),
            )
        except QueryTooLong:
            raise too_long("query") from None
        except SearchUnavailable:
            raise unavailable() from None
        return _connection(found, page)

    @staticmethod
    def resolve_search_suggest(root, info, prefix, first=DEFAULT_SUGGESTIONS):
        if first is None or not 1 <= first <= MAX_SUGGESTIONS:
            raise GraphQLError(
                f"`first` is between 1 and {MAX_SUGGESTIONS}.", extensions={"code": "INVALID", "field": "first"}
            )
        try:
            suggestions = product_search.suggest(prefix, limit=first)
        except QueryTooLong:
            raise too_long("prefix") from None
        except SearchUnavailable:
            raise unavailable() from None
        return suggestions


def too_long(field: str) -> GraphQLError:
    return GraphQLError(
        f"Search for at most {MAX_QUERY_LENGTH} characters.",
        extensions={"code": "TOO_LONG", "field": field, "limit": MAX_QUERY_LENGTH},
    )


def unavailable() -> GraphQLError:
    return GraphQLError(
        "Search is not available right now; try again in a moment.", extensions={"code": "SEARCH_UNAVAILABLE"}
    )


def search_filters(data) -> SearchFilters:
    """`SearchFilterInput` as the backends' filters: global IDs decoded, the price key checked."""
    values = {}
    for name, node_type in FACET_NODE_TYPES.items():
        if data.get(name) is not None:
            values[name] = decode_node_id(data[name], node_type, f"filter.{name}")
    price = data.get("price_range")
    if price is not None:
        if price not in PRICE_RANGES_BY_KEY:
            known = ", ".join(PRICE_RANGES_BY_KEY)
            raise GraphQLError(
                f"{price!r} is not a price range; use one of {known}.",
                extensions={"code": "INVALID", "field": "filter.priceRange"},
            )
        values["price"] = price
    if data.get("in_stock") is not None:
        values["in_stock"] = data["in_stock"]
    return SearchFilters(**values)


def _sort_value(sort_by) -> str:
    # graphene 3 hands an enum argument over as the member, its default as the plain value;
    # an explicit null means the default.
    if sort_by is None:
        return SearchSort.RELEVANCE.value
    return getattr(sort_by, "value", sort_by)


def _page(first, after) -> Page:
    check_page_arguments("search", MAX_PAGE_SIZE, {"first": first, "after": after})
    offset = 0 if after is None else cursor_to_offset(after) + 1
    if offset >= MAX_WINDOW:
        raise GraphQLError(
            f"Results end at the first {MAX_WINDOW}; narrow the search with filters to see others.",
            extensions={"code": "BEYOND_WINDOW", "field": "after", "limit": MAX_WINDOW},
        )
    first = DEFAULT_PAGE_SIZE if first is None else first
    return Page(offset=offset, limit=min(first, MAX_WINDOW - offset))


def _connection(found: product_search.ProductSearchPage, page: Page) -> dict:
    """Edges keep their position in the results as cursor; the page ends where it was asked to end,
    so a product hidden since it was indexed (and so missing from the page) shifts nothing."""
    reachable = min(found.total, MAX_WINDOW)
    last = min(page.offset + page.limit, reachable) - 1
    edges = [
        {
            "node": product,
            "cursor": offset_to_cursor(page.offset + position),
            "highlights": found.highlights.get(product.pk, {}),
        }
        for position, product in enumerate(found.products)
    ]
    has_page = last >= page.offset
    return {
        "edges": edges,
        "page_info": graphene.relay.PageInfo(
            has_next_page=last + 1 < reachable,
            has_previous_page=page.offset > 0,
            start_cursor=offset_to_cursor(page.offset) if has_page else None,
            end_cursor=offset_to_cursor(last) if has_page else None,
        ),
        "total_count": found.total,
        "facets": {
            name: [SimpleNamespace(facet=name, option=option) for option in found.facets.get(name, [])]
            for name in FACETS
        },
    }


def _selects(info, name: str) -> bool:
    """Whether the query asks for this field of the result: facets cost a count per facet, skipped
    when a client only pages through products."""
    return any(field.name.value == name for field in _fields(info, [node.selection_set for node in info.field_nodes]))


def _product_loader(info):
    """The relations of the products that the query shows (`edges { node { farmer … } }`), and
    only those: each costs a query, and a client listing names and prices needs none."""
    edges = [f for f in _fields(info, [n.selection_set for n in info.field_nodes]) if f.name.value == "edges"]
    nodes = [f for f in _fields(info, [e.selection_set for e in edges]) if f.name.value == "node"]
    asked = {f.name.value for f in _fields(info, [n.selection_set for n in nodes])}
    relations = CATALOG_RELATIONS & asked
    return lambda products: with_catalog_relations(products, relations)


def _fields(info, selection_sets) -> list[FieldNode]:
    """The fields of these selections, through inline fragments and named ones (each once)."""
    found, seen = [], set()

    def walk(selection_set) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = info.fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set)

    for selection_set in selection_sets:
        walk(selection_set)
    return found
