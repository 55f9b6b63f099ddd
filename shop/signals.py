from django.dispatch import Signal

# Sent with `product_ids` when products changed through bulk updates (which send no model
# signals): the search index listens.
products_changed = Signal()
