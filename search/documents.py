"""Index documents: what a backend stores of a product. Built here once, the same for every backend."""

from collections.abc import Iterable, Iterator

from shop.models import Product
from shop.selectors import visible_products

from .analysis import characters, pinyin_tokens, segment, segment_for_index


def indexable_products():
    """Exactly the goods shoppers may see: anything else is kept out of (or taken out of) the index."""
    return visible_products().select_related("category__parent", "village__county__province", "cooperative")


def document(product: Product) -> dict:
    """One product as plain data. Token fields are space-separated, already segmented and
    lower-cased, so every engine indexes them by splitting on spaces:

    - `title`: the name's words, then its single characters;
    - `keywords`: category, place and cooperative names, Chinese and English;
    - `pinyin`: pinyin of the name, category and places (syllables, whole words, initials);
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

    keywords = []
    for name in chinese_names:
        keywords += segment_for_index(name) + characters(name)
    for name in english_names:
        keywords += segment(name)

    pinyin = []
    for text in [product.name, *chinese_names]:
        pinyin += pinyin_tokens(text)

    return {
        "id": product.pk,
        "name": product.name,
        "description": product.description,
        "title": " ".join(segment_for_index(product.name) + characters(product.name)),
        "keywords": " ".join(keywords),
        "pinyin": " ".join(pinyin),
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
