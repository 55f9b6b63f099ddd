"""What a search asks and what it gets back: the contract every backend keeps."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

FACETS = ("category", "province", "county", "village", "price")

SORTS = ("relevance", "price_asc", "price_desc", "newest")

# Deep pages are refused: beyond this, narrow the search instead (Elasticsearch's own default).
MAX_WINDOW = 10_000
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PriceRange:
    """A bucket of the price facet, on a product's lowest price: `low <= price < high`."""

    key: str
    label: str
    low: Decimal | None
    high: Decimal | None


PRICE_RANGES = (
    PriceRange("0-20", _("Under ¥20"), None, Decimal("20")),
    PriceRange("20-50", _("¥20–50"), Decimal("20"), Decimal("50")),
    PriceRange("50-100", _("¥50–100"), Decimal("50"), Decimal("100")),
    PriceRange("100-200", _("¥100–200"), Decimal("100"), Decimal("200")),
    PriceRange("200-", _("¥200 and more"), Decimal("200"), None),
)
PRICE_RANGES_BY_KEY = {price_range.key: price_range for price_range in PRICE_RANGES}


@dataclass(frozen=True)
class SearchFilters:
    """Narrowing by facet values. A category matches itself and its subcategories."""

    category: int | None = None
    province: int | None = None
    county: int | None = None
    village: int | None = None
    price: str | None = None  # a key of PRICE_RANGES
    in_stock: bool | None = None

    def without(self, facet: str) -> "SearchFilters":
        """The filters a facet's own counts are taken under: all but its own, so a shopper who
        picked 云南 still sees how many goods the other provinces have."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values[facet] = None
        return SearchFilters(**values)


@dataclass(frozen=True)
class Page:
    offset: int = 0
    limit: int = 20


@dataclass
class SearchHit:
    product_id: int
    score: float | None = None
    # Field name ("name", "description") → HTML with the matched words in <mark>, the rest escaped.
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class FacetCount:
    value: str  # an object's primary key as text, or a PRICE_RANGES key
    count: int


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    # Facet name → counts, largest first (price: in the order of PRICE_RANGES); no zero counts.
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    text: str
    product_id: int
