from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from shop.signals import order_placed

from .attribution import attribute_order
from .models import Campaign
from .serving import campaigns_changed


@receiver(order_placed)
def attribute_placed_order(sender, order, viewer_keys=(), **kwargs):
    attribute_order(order, viewer_keys)


# Serving indexes are rebuilt after any change to a campaign (see serving.ServingIndex).
post_save.connect(campaigns_changed, sender=Campaign, dispatch_uid="promotion-index-save")
post_delete.connect(campaigns_changed, sender=Campaign, dispatch_uid="promotion-index-delete")
m2m_changed.connect(campaigns_changed, sender=Campaign.products.through, dispatch_uid="promotion-index-products")
m2m_changed.connect(
    campaigns_changed, sender=Campaign.target_provinces.through, dispatch_uid="promotion-index-target-provinces"
)
m2m_changed.connect(
    campaigns_changed, sender=Campaign.target_categories.through, dispatch_uid="promotion-index-target-categories"
)
