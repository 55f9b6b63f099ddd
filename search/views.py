"""The search page and its suggestions: read the query string leniently (a bad value is dropped, not
a 500), ask `search.product_search`, and lay the answer out with links that add or remove a filter."""

import math
from dataclasses import dataclass, fields, replace
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from core.responses import JsonResponse

from . import product_search
from .analysis import MAX_QUERY_LENGTH, QueryTooLong
from .backends import SearchUnavailable
from .query import FACETS, MAX_WINDOW, PRICE_RANGES_BY_KEY, Page, SearchFilters

PAGE_SIZE = 24
LAST_PAGE = math.ceil(MAX_WINDOW / PAGE_SIZE)
SUGGESTIONS = 8

FACET_TITLES = {
    "category": _("Category"),
    "province": _("Province"),
    "county": _("County"),
    "village": _("Village"),
    "price": _("Price"),
}
SORT_LABELS = {
    "relevance": _("Best match"),
    "price_asc": _("Cheapest"),
    "price_desc": _("Dearest"),
    "newest": _("Newest"),
}


@dataclass(frozen=True)
class SearchRequest:
    """What the page was asked for, with anything invalid already dropped."""

    q: str = ""
    category: int | None = None
    province: int | None = None
    county: int | None = None
    village: int | None = None
    price: str | None = None
    in_stock: bool = False
    sort: str = "relevance"
    page: int = 1

    @classmethod
    def from_query_string(cls, params) -> "SearchRequest":
        values = {"q": " ".join(params.get("q", "").split())}
        for name in ("category", "province", "county", "village"):
            values[name] = _positive_int(params.get(name))
        price = params.get("price")
        values["price"] = price if price in PRICE_RANGES_BY_KEY else None
        values["in_stock"] = params.get("in_stock") == "1"
        sort = params.get("sort")
        values["sort"] = sort if sort in SORT_LABELS else "relevance"
        values["page"] = min(_positive_int(params.get("page")) or 1, LAST_PAGE)
        return cls(**values)

    @property
    def filters(self) -> SearchFilters:
        return SearchFilters(
            category=self.category,
            province=self.province,
            county=self.county,
            village=self.village,
            price=self.price,
            in_stock=True if self.in_stock else None,
        )

    @property
    def has_filters(self) -> bool:
        return any(getattr(self, name) for name in FACETS) or self.in_stock

    def url(self, **changes) -> str:
        """This search with some values changed (None or False removes one); back to page 1 unless
        the page is what changes."""
        changes.setdefault("page", 1)
        changed = replace(self, **changes)
        params = []
        for field in fields(changed):
            value = getattr(changed, field.name)
            default = field.default
            if value in (None, False, "") or value == default:
                continue
            params.append((field.name, "1" if value is True else value))
        return "?" + urlencode(params) if params else "?"


def _positive_int(raw) -> int | None:
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    value = int(raw)
    return value or None


def search_page(request):
    asked = SearchRequest.from_query_string(request.GET)
    context = {"asked": asked, "search_query": asked.q, "max_length": MAX_QUERY_LENGTH}
    try:
        found = _search(asked)
        pages = max(1, math.ceil(min(found.total, MAX_WINDOW) / PAGE_SIZE))
        if asked.page > pages:  # past the end (an old link, a hand-edited URL): show the last page
            asked = replace(asked, page=pages)
            found = _search(asked)
    except QueryTooLong:
        context["error"] = "too_long"
        return render(request, "search/page.html", context, status=400)
    except SearchUnavailable:
        context["error"] = "unavailable"
        return render(request, "search/page.html", context, status=503)
    context.update(
        asked=asked,
        total=found.total,
        results=[_result(product, found.highlights.get(product.pk, {})) for product in found.products],
        facets=_facet_groups(asked, found.facets),
        chosen=_chosen_filters(asked, found.facets),
        sorts=[
            {"label": label, "url": asked.url(sort=key), "current": key == asked.sort}
            for key, label in SORT_LABELS.items()
        ],
        in_stock_url=asked.url(in_stock=not asked.in_stock),
        clear_url=asked.url(**dict.fromkeys(FACETS), in_stock=False),
        pager={
            "number": asked.page,
            "pages": pages,
            "previous": asked.url(page=asked.page - 1) if asked.page > 1 else None,
            "next": asked.url(page=asked.page + 1) if asked.page < pages else None,
        },
    )
    return render(request, "search/page.html", context)


def _search(asked: SearchRequest) -> product_search.ProductSearchPage:
    offset = (asked.page - 1) * PAGE_SIZE
    page = Page(offset=offset, limit=min(PAGE_SIZE, MAX_WINDOW - offset))
    return product_search.search_products(asked.q, asked.filters, sort=asked.sort, page=page)


def _result(product, highlights: dict[str, str]) -> dict:
    """Highlights are HTML the highlighter escaped itself (only <mark> added): safe to show as is."""
    name, snippet = highlights.get("name"), highlights.get("description")
    return {
        "product": product,
        "name": mark_safe(name) if name else None,  # noqa: S308
        "snippet": mark_safe(snippet) if snippet else None,  # noqa: S308
    }


def _value(name: str, option_value: str):
    return option_value if name == "price" else int(option_value)


def _facet_groups(asked: SearchRequest, facets) -> list[dict]:
    groups = []
    for name in FACETS:
        options = facets.get(name) or []
        if not options:
            continue
        links = [
            {
                "label": option.label,
                "count": option.count,
                "selected": option.selected,
                "url": asked.url(**{name: None if option.selected else _value(name, option.value)}),
            }
            for option in options
        ]
        chosen = any(option.selected for option in options)
        groups.append({"name": name, "title": FACET_TITLES[name], "options": links, "chosen": chosen})
    return groups


def _chosen_filters(asked: SearchRequest, facets) -> list[dict]:
    """Every filter in force, each with the link that removes it (even one no facet lists any more)."""
    chosen = []
    for name in FACETS:
        if getattr(asked, name) is None:
            continue
        selected = [option.label for option in facets.get(name) or [] if option.selected]
        chosen.append({"label": selected[0] if selected else FACET_TITLES[name], "url": asked.url(**{name: None})})
    return chosen


@require_GET
def suggest(request):
    """Names for the search box's <datalist> as the shopper types; the page works without it."""
    try:
        suggestions = product_search.suggest(request.GET.get("q", ""), limit=SUGGESTIONS)
    except QueryTooLong:
        return JsonResponse({"suggestions": [], "error": "too_long"}, status=400)
    except SearchUnavailable:
        return JsonResponse({"suggestions": [], "error": "unavailable"}, status=503)
    texts = list(dict.fromkeys(suggestion.text for suggestion in suggestions))
    response = JsonResponse({"suggestions": [{"text": text} for text in texts]})
    response["Cache-Control"] = "public, max-age=60"
    return response
