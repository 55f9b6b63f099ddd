"""Index documents: what a backend stores of a product. Built here once, the same for every backend."""

import functools
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch

from shop.models import Product, Variant

from .analysis import bigrams, characters, pinyin_tokens, segment_for_index
from .selectors import indexable_products


@functools.lru_cache(maxsize=4096)
def _place_tokens(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keyword and pinyin tokens of a category or place name. A few hundred names are shared by
    every product, so each is analysed once a process, not once a product."""
    keywords = segment_for_index(name) + bigrams(name) + characters(name)
    return tuple(keywords), tuple(pinyin_tokens(name))


@functools.lru_cache(maxsize=4096)
def _weak_tokens(name: str) -> tuple[str, ...]:
    """Tokens of a seller's name or an English name: its words and bigrams (not its single
    characters: one character of a cooperative's name says nothing about the goods)."""
    return tuple(segment_for_index(name) + bigrams(name))


@functools.lru_cache(maxsize=1024)
def _size_tokens(name: str) -> tuple[str, ...]:
    return tuple(segment_for_index(name))


def _unique(tokens: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


def document(product: Product) -> dict:
    """One product as plain data. Token fields are space-separated, already segmented and
    lower-cased, so every engine indexes them by splitting on spaces:

    - `title`: the name's words, then its bigrams, then its single characters;
    - `keywords`: the Chinese names of its category and places, as strong as a word of the name
      nearly (土豆 goods sit in 薯类, in 会泽县);
    - `sizes`: the words of its variants' names (5斤装: 5斤 · 5 · 斤), so "5斤" finds it;
    - `pinyin`: pinyin of the name, category and places (syllables, whole words, initials);
    - `name_pinyin`: the name's pinyin alone (for near matches of a misspelt pinyin);
    - `body`: the description's words;
    - `weak`: the seller's (cooperative's) name and the English names of category and places:
      the weakest signal, and matched only by the words a shopper typed, never by their synonyms
      (a cooperative's name is not a word of its goods; "Potatoes and tubers" is not a potato).
    """
    category = product.category
    village = product.village
    county = village.county
    province = county.province
    categories = [category] + ([category.parent] if category.parent_id else [])
    places = [province, county, village]
    chinese_names = [c.name for c in categories] + [p.name for p in places]
    weak_names = [c.name_en for c in categories] + [p.name_en for p in places]
    if product.cooperative_id:
        weak_names.append(product.cooperative.name)

    name_pinyin = pinyin_tokens(product.name)
    keywords, pinyin = [], list(name_pinyin)
    for name in chinese_names:
        name_keywords, name_pinyin_tokens = _place_tokens(name)
        keywords += name_keywords
        pinyin += name_pinyin_tokens
    weak = [token for name in weak_names if name for token in _weak_tokens(name)]
    sizes = _unique(token for variant in product.variants.all() for token in _size_tokens(variant.name))

    name = product.name
    return {
        "id": product.pk,
        "name": name,
        "description": product.description,
        "title": " ".join(segment_for_index(name) + bigrams(name) + characters(name)),
        "keywords": " ".join(keywords),
        "sizes": " ".join(sizes),
        "pinyin": " ".join(pinyin),
        "name_pinyin": " ".join(name_pinyin),
        "body": " ".join(segment_for_index(product.description)),
        "weak": " ".join(weak),
        "category_id": category.pk,
        "top_category_id": category.parent_id or category.pk,
        "province_id": province.pk,
        "county_id": county.pk,
        "village_id": village.pk,
        "min_price": product.min_price,
        "in_stock": product.in_stock,
        "created_at": product.created_at,
    }


def documents(product_ids: Iterable[int] | None = None, batch_size: int = 2000) -> Iterator[dict]:
    """Documents of the indexable products (all of them, or of these ids), read in batches by id."""
    # The sizes' names only, in their order (a product has one to a few).
    variants = Prefetch("variants", queryset=Variant.objects.only("pk", "product_id", "name", "position"))
    products = indexable_products().prefetch_related(variants).order_by("pk")
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    last = 0
    while True:
        batch = list(products.filter(pk__gt=last)[:batch_size])
        if not batch:
            return
        for product in batch:
            yield document(product)
        last = batch[-1].pk
