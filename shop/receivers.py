from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from farmers.models import Cooperative, Farmer
from farmers.signals import cooperative_verified, farmer_verified
from payments.signals import payment_succeeded, refund_succeeded

from . import orders
from .models import Product, Variant
from .signals import products_changed
from .visible_count import visibility_changed


@receiver(farmer_verified)
def publish_waiting_listings_of_farmer(sender, farmer, **kwargs):
    """Listings a farmer finished while pending go live with the verification."""
    Product.objects.filter(farmer=farmer, publish_when_verified=True).update(
        is_published=True, publish_when_verified=False
    )


@receiver(cooperative_verified)
def publish_waiting_listings_of_cooperative(sender, cooperative, **kwargs):
    Product.objects.filter(cooperative=cooperative, publish_when_verified=True).update(
        is_published=True, publish_when_verified=False
    )


@receiver(payment_succeeded)
def order_paid(sender, payment, **kwargs):
    orders.record_paid(payment)


@receiver(refund_succeeded)
def order_refunded(sender, refund, payment, **kwargs):
    orders.record_refunded(payment.order_id, whole_order=refund.includes_shipping)


# What can show or hide a product (selectors.visible_products): the product itself, its variants'
# prices (min_price), its seller's verification; bulk updates send products_changed.
for _model in (Product, Variant, Farmer, Cooperative):
    post_save.connect(visibility_changed, sender=_model, dispatch_uid=f"shop-visible-save-{_model.__name__}")
    post_delete.connect(visibility_changed, sender=_model, dispatch_uid=f"shop-visible-delete-{_model.__name__}")
products_changed.connect(visibility_changed, dispatch_uid="shop-visible-products-changed")
