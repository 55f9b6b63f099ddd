"""The one interface every search engine is driven through (the shape of Wagtail's modelsearch)."""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from ..analysis import AnalysedQuery, analyse_query
from ..query import MAX_PAGE_SIZE, MAX_WINDOW, SORTS, Page, SearchFilters, SearchResults, Suggestion


class SearchUnavailable(Exception):
    """The engine did not answer (Elasticsearch down or timing out): callers say so, never 500."""


@dataclass
class RebuildReport:
    documents: int
    seconds: float
    index: str  # what now serves searches: an index name, or a table


class SearchBackend(ABC):
    """Backends index and find documents of `search.documents`; they never decide visibility
    (only visible goods are indexed) and never touch the shop's own tables except to read.

    Each is configured in settings.SEARCH_BACKENDS (see `search.backends`) and built with its
    `name` there and its OPTIONS as keyword arguments. `vendor` is the engine it drives."""

    vendor = "base"

    def __init__(self, *, name: str = "default"):
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def index(self, document: dict) -> None:
        self.bulk_index([document])

    def delete(self, product_id: int) -> None:
        self.delete_many([product_id])

    @abstractmethod
    def bulk_index(self, documents: Iterable[dict]) -> int:
        """Add or replace documents; returns how many were written."""

    @abstractmethod
    def delete_many(self, product_ids: Iterable[int]) -> None:
        """Remove documents; ids that are not indexed are ignored."""

    @abstractmethod
    def rebuild(self, documents: Iterable[dict]) -> RebuildReport:
        """Replace the whole index with these documents, searches answering throughout."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document (tests and resets)."""

    def search(
        self,
        text: str,
        filters: SearchFilters | None = None,
        facets: bool = True,
        sort: str = "relevance",
        page: Page | None = None,
    ) -> SearchResults:
        """Raises `analysis.QueryTooLong`, or ValueError for a sort or page outside the contract."""
        query = analyse_query(text)
        page = page or Page()
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        if page.offset < 0 or not 0 <= page.limit <= MAX_PAGE_SIZE or page.offset + page.limit > MAX_WINDOW:
            raise ValueError("page outside the search window")
        if query.matches_nothing:
            return SearchResults(total=0, hits=[], facets={})
        return self._search(query, filters or SearchFilters(), facets, sort, page)

    @abstractmethod
    def _search(
        self, query: AnalysedQuery, filters: SearchFilters, facets: bool, sort: str, page: Page
    ) -> SearchResults:
        """The goods holding `query.required` of its terms (`analysis.required_terms`); when there
        are none, a second try with `query.relaxed()` (and whatever near matches the backend has).
        Hits ordered in stock first, then by `sort`; relevance: more terms matched first, then the
        Chinese words typed found in the name, then the engine's relevance, which does not lower a
        long name; ties by newest id. Facet counts are taken under all filters but the facet's own."""

    def matching_ids(self, text: str, limit: int = MAX_WINDOW) -> list[int]:
        """The ids of the best matches, best first, in one request: no facets, no highlights (for
        lists that filter and sort the matches themselves). Raises `analysis.QueryTooLong`."""
        query = analyse_query(text)
        if query.matches_nothing:
            return []
        return self._ids(query, min(limit, MAX_WINDOW))

    @abstractmethod
    def _ids(self, query: AnalysedQuery, limit: int) -> list[int]:
        """Ids of the first `limit` hits in relevance order."""

    def autocomplete(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        """Product names for what is being typed: the last word may be the start of a longer one."""
        query = analyse_query(prefix, prefix=True)
        if not query.terms:
            return []
        return self._autocomplete(query, limit)

    @abstractmethod
    def _autocomplete(self, query: AnalysedQuery, limit: int) -> list[Suggestion]:
        """Distinct product names of the best matches, in stock first."""
