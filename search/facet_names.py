"""The names facet options show (categories and places), kept per process: a few hundred rows
that change rarely, read for every search. Reading them per search cost a fifth of the search.

Any save or delete of a category or place starts a new generation (in the shared cache, so every
process learns of it); a facet value the names do not hold (a place added a moment ago in another
process) reloads them too."""

import logging
import time
import uuid

from django.core.cache import cache

from farmers.models import County, Province, Village
from shop.models import Category

MODELS = {"category": Category, "province": Province, "county": County, "village": Village}
GENERATION_KEY = "search:facet-names:generation"
# Even without a new generation (a cache that is not shared between processes), names are this
# fresh.
MAX_AGE_SECONDS = 300

_loaded: dict = {}
logger = logging.getLogger(__name__)


def names(facet: str, ids: list[int], english: bool) -> dict[int, str]:
    """id → the name to show in the active language, for the ids of one facet that exist."""
    if not ids:
        return {}
    known = _names()
    if any(pk not in known[facet] for pk in ids):
        known = _names(reload=True)
    found = known[facet]
    return {pk: (found[pk][1] if english and found[pk][1] else found[pk][0]) for pk in ids if pk in found}


def _names(reload: bool = False) -> dict[str, dict[int, tuple[str, str]]]:
    try:
        generation = cache.get(GENERATION_KEY)
    except Exception:  # the cache down (Redis): the names still expire with their age
        logger.warning("facet names: the cache is unavailable", exc_info=True)
        generation = _loaded.get("generation")
    fresh = (
        not reload
        and _loaded.get("generation") == generation
        and time.monotonic() - _loaded.get("at", 0) < MAX_AGE_SECONDS
    )
    if not fresh:
        _loaded.update(
            names={facet: _read(model) for facet, model in MODELS.items()},
            generation=generation,
            at=time.monotonic(),
        )
    return _loaded["names"]


def _read(model) -> dict[int, tuple[str, str]]:
    return {pk: (name, name_en) for pk, name, name_en in model.objects.order_by().values_list("pk", "name", "name_en")}


def changed(**_kwargs) -> None:
    """A category or place was saved or deleted. The cache down must not fail the save: other
    processes then learn of it within MAX_AGE_SECONDS."""
    _loaded.clear()
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:
        logger.warning("facet names: the cache is unavailable, other processes renew theirs with age", exc_info=True)
