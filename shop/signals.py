from django.dispatch import Signal

# Sent with `product_ids` when products changed through bulk updates (which send no model
# signals): the search index listens.
products_changed = Signal()

# Sent with `order` and `viewer_keys` (the keys core.viewers knows the shopper by) inside the
# transaction that placed the order: promotion attributes it to a click.
order_placed = Signal()
