from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from shop.signals import order_placed

from .attribution import attribute_order
from .models import Campaign
from .serving import forget_serving_index


@receiver(order_placed)
def attribute_placed_order(sender, order, viewer_keys=(), **kwargs):
    attribute_order(order, viewer_keys)


# This process's own edits reach its serving index at once; other processes' within its lifetime.
post_save.connect(forget_serving_index, sender=Campaign, dispatch_uid="promotion-index-save")
post_delete.connect(forget_serving_index, sender=Campaign, dispatch_uid="promotion-index-delete")
m2m_changed.connect(forget_serving_index, sender=Campaign.products.through, dispatch_uid="promotion-index-products")
