from django.dispatch import Signal

# Sent with `product_ids` when products changed through bulk updates (which send no model
# signals): the search index listens.
products_changed = Signal()

# Sent with `order` and `viewer_keys` (the keys core.viewers knows the shopper by) inside the
# transaction that placed the order: promotion attributes it to a click.
order_placed = Signal()

# Sent with `product` and `request` when a shopper opens a product's page (GET): promotion learns
# what the reader looks at (the request says who, and whether they came from the feed).
product_viewed = Signal()

# Sent with `product_ids` and `request` after goods were put in a cart.
cart_added = Signal()
