"""The shapes of search over GraphQL: a Relay-style connection of products with highlights and facets."""

import graphene
from graphql_relay import to_global_id

from farmers.graphql.types import CountyType, ProvinceType, VillageType
from shop.graphql.types import CategoryType, ProductType

# The object behind each facet's values: values are its Relay global IDs, to be passed back in the filter.
FACET_NODE_TYPES = {"category": CategoryType, "province": ProvinceType, "county": CountyType, "village": VillageType}


class SearchSort(graphene.Enum):
    """Out-of-stock goods come last whatever the order."""

    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"

    @property
    def description(self):
        return {
            SearchSort.RELEVANCE: "Best matches first (newest first when nothing was typed).",
            SearchSort.PRICE_ASC: "Lowest price first.",
            SearchSort.PRICE_DESC: "Highest price first.",
            SearchSort.NEWEST: "Most recently listed first.",
        }.get(self)


class SearchFilterInput(graphene.InputObjectType):
    category = graphene.ID(description="A category; a top category includes its subcategories.")
    province = graphene.ID()
    county = graphene.ID()
    village = graphene.ID()
    price_range = graphene.String(description="A price range: the `value` of a `price` facet, e.g. `20-50`.")
    in_stock = graphene.Boolean()


class SearchHighlights(graphene.ObjectType):
    """HTML: the matched words in <mark>, everything else escaped. Null where nothing matched."""

    name = graphene.String()
    description = graphene.String(description="A snippet of the description around the first match.")


class SearchEdge(graphene.ObjectType):
    node = graphene.Field(ProductType, required=True)
    cursor = graphene.String(required=True)
    highlights = graphene.Field(SearchHighlights, required=True)


class SearchFacetValue(graphene.ObjectType):
    value = graphene.String(
        required=True,
        description="What to pass back in `SearchFilterInput`: a global ID, or for `price` a price range key.",
    )
    label = graphene.String(required=True, description="The name to show, in the request's language.")
    count = graphene.Int(required=True, description="Products matching with this value, under the other filters.")
    selected = graphene.Boolean(required=True, description="Whether the current filter has this value.")

    @staticmethod
    def resolve_value(root, info):
        node_type = FACET_NODE_TYPES.get(root.facet)
        return to_global_id(node_type._meta.name, root.option.value) if node_type else root.option.value

    @staticmethod
    def resolve_label(root, info):
        return root.option.label

    @staticmethod
    def resolve_count(root, info):
        return root.option.count

    @staticmethod
    def resolve_selected(root, info):
        return root.option.selected


def _facet_field(description: str):
    return graphene.Field(graphene.List(graphene.NonNull(SearchFacetValue)), required=True, description=description)


class SearchFacets(graphene.ObjectType):
    """Each facet counts under every filter but its own, so picking one value still shows the others;
    largest count first (price: from cheap to dear); values with no product are left out."""

    category = _facet_field("The categories goods are listed in: subcategories, or top categories without any.")
    province = _facet_field("Provinces the goods come from.")
    county = _facet_field("Counties the goods come from.")
    village = _facet_field("Villages the goods come from.")
    price = _facet_field("Ranges of a product's lowest price.")


class ProductSearchResults(graphene.ObjectType):
    """A Relay-style connection plus facets. Cursors are positions in the results: a page starts
    after `after`. Results end at the search window (10,000): narrow the search to reach beyond.

    Not named `...Connection` on purpose: the query cost rule multiplies everything under a
    connection by `first`, facets included, which would refuse an app's usual query."""

    edges = graphene.List(graphene.NonNull(SearchEdge), required=True)
    page_info = graphene.Field(graphene.relay.PageInfo, required=True)
    total_count = graphene.Int(required=True, description="All matches, including those beyond the window.")
    facets = graphene.Field(SearchFacets, required=True, description="Counts to narrow the search by.")


class SearchSuggestion(graphene.ObjectType):
    text = graphene.String(required=True, description="A product name completing what was typed.")
    product = graphene.Field(ProductType, required=True, description="The product the name is of.")
