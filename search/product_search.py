"""Searching the catalog for shoppers: the backend finds, this module turns hits into products
that are visible right now, with facet labels. GraphQL and the search page both call it. Every
search goes through `fallback.answer`: the database answers while the engine is down."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import get_language

from shop.models import Product
from shop.selectors import visible_products, with_card_relations, with_catalog_relations

from . import facet_names, fallback
from .query import FACETS, PRICE_RANGES, PRICE_RANGES_BY_KEY, Page, SearchFilters


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class ProductSearchPage:
    total: int
    products: list[Product]
    highlights: dict[int, dict[str, str]]  # product id → field → HTML
    facets: dict[str, list[FacetOption]] = field(default_factory=dict)


def search_products(
    text: str,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: Page | None = None,
    facets: bool = True,
    load: Callable[[QuerySet], QuerySet] = with_card_relations,
) -> ProductSearchPage:
    """Raises `analysis.QueryTooLong` and ValueError (bad sort or page) for the caller to report.

    Hits are re-read through `visible_products()`, so goods hidden a moment ago (unpublished, seller
    suspended) never show even while the index is still being updated behind the commit. `load`
    adds what the caller shows of them: a card's columns unless it says otherwise (loading every
    relation of a page of products cost as much as the search itself)."""
    filters = filters or SearchFilters()
    results = fallback.answer(
        lambda backend: backend.search(text, filters, facets=facets, sort=sort, page=page or Page())
    )
    ids = [hit.product_id for hit in results.hits]
    # In the hits' order, not the model's (a sort of the page for nothing).
    found = {p.pk: p for p in load(visible_products().filter(pk__in=ids).order_by())} if ids else {}
    products = [found[pk] for pk in ids if pk in found]
    return ProductSearchPage(
        total=results.total,
        products=products,
        highlights={hit.product_id: hit.highlights for hit in results.hits if hit.product_id in found},
        facets=_labelled(results.facets, filters) if facets else {},
    )


# `products(search:)` takes the best this many: a list to filter and sort, not to page through
# the whole catalogue (that is what `search` is for).
MATCHING_LIMIT = 1000


def matching_product_ids(text: str, limit: int = MATCHING_LIMIT) -> list[int]:
    """The best matches' ids, best first: for lists that filter and sort the catalog themselves."""
    return fallback.answer(lambda backend: backend.matching_ids(text, limit))


@dataclass
class ProductSuggestion:
    text: str
    product: Product


def suggest(prefix: str, limit: int = 8) -> list[ProductSuggestion]:
    """Names completing what is being typed, each with its product (loaded in one query); goods
    hidden since they were indexed are left out. Raises `analysis.QueryTooLong`."""
    suggestions = fallback.answer(lambda backend: backend.autocomplete(prefix, limit=limit))
    ids = [suggestion.product_id for suggestion in suggestions]
    products = with_catalog_relations(visible_products().filter(pk__in=ids)).in_bulk()
    return [ProductSuggestion(s.text, products[s.product_id]) for s in suggestions if s.product_id in products]


def _labelled(facets, filters: SearchFilters) -> dict[str, list[FacetOption]]:
    english = (get_language() or "").startswith("en")
    labelled = {}
    for name in FACETS:
        counts = facets.get(name, [])
        selected = getattr(filters, name)
        if name == "price":
            labels = {r.key: str(r.label) for r in PRICE_RANGES}
            options = [
                FacetOption(c.value, labels[c.value], c.count, c.value == selected)
                for c in counts
                if c.value in PRICE_RANGES_BY_KEY
            ]
        else:
            known = facet_names.names(name, [int(c.value) for c in counts], english)
            options = [
                FacetOption(c.value, known[int(c.value)], c.count, str(selected) == c.value)
                for c in counts
                if int(c.value) in known
            ]
        labelled[name] = options
    return labelled
