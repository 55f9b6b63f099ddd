"""Reads of the catalog that more than one part of search needs."""

from shop.selectors import visible_products


def indexable_products():
    """Exactly the goods shoppers may see, with what a document shows of them: anything else is
    kept out of (or taken out of) the index."""
    return visible_products().select_related("category__parent", "village__county__province", "cooperative")
