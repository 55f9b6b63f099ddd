"""Index documents: what a backend stores of a product. Built here once, the same for every backend."""

import functools
from collections.abc import Iterable, Iterator

from shop.models import Product

from .analysis import bigrams, characters, pinyin_tokens, segment, segment_for_index
from .selectors import indexable_products


@functools.lru_cache(maxsize=4096)
def _place_tokens(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keyword and pinyin tokens of a category, place or cooperative name. A few hundred names are
    shared by every product, so each is analysed once a process, not once a product."""
    keywords = segment_for_index(name) + bigrams(name) + characters(name)
    return tuple(keywords), tuple(pinyin_tokens(name))


def document(product: Product) -> dict:
    """One product as plain data. Token fields are space-separated, already segmented and
    lower-cased, so every engine indexes them by splitting on spaces:

    - `title`: the name's words, then its bigrams, then its single characters;
    - `keywords`: category, place and cooperative names, Chinese and English;
    - `pinyin`: pinyin of the name, category and places (syllables, whole words, initials);
    - `name_pinyin`: the name's pinyin alone (for near matches of a misspelt pinyin);
    - `body`: the description's words.
    """
    category = product.category
    village = product.village
    county = village.county
    province = county.province
    categories = [category] + ([category.parent] if category.parent_id else [])
    places = [province, county, village]
    chinese_names = [c.name for c in categories] + [p.name for p in places]
    if product.cooperative_id:
        chinese_names.append(product.cooperative.name)
    english_names = [c.name_en for c in categories] + [p.name_en for p in places]

    name_pinyin = pinyin_tokens(product.name)
    keywords, pinyin = [], list(name_pinyin)
    for name in chinese_names:
        name_keywords, name_pinyin_tokens = _place_tokens(name)
        keywords += name_keywords
        pinyin += name_pinyin_tokens
    for name in english_names:
        keywords += segment(name)

    name = product.name
    return {
        "id": product.pk,
        "name": name,
        "description": product.description,
        "title": " ".join(segment_for_index(name) + bigrams(name) + characters(name)),
        "keywords": " ".join(keywords),
        "pinyin": " ".join(pinyin),
        "name_pinyin": " ".join(name_pinyin),
        "body": " ".join(segment_for_index(product.description)),
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
    products = indexable_products().order_by("pk")
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
