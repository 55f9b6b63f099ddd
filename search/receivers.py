"""How search reacts to other apps' changes that alter what it finds (their models' saves and
deletes, `shop.signals.products_changed`). Bulk `.update()`s send no signals: the services that
make them (stock, price summary) send `products_changed` instead."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from farmers.models import Cooperative, County, Farmer, Province, Village
from shop.models import Category, Product, Variant
from shop.signals import products_changed

from . import facet_names
from .indexing import schedule

RELATED_MODELS = {
    Farmer: "farmer",
    Cooperative: "cooperative",
    Village: "village",
    County: "county",
    Province: "province",
    Category: "category",
}


@receiver([post_save, post_delete], sender=Product)
def product_changed(sender, instance, **kwargs):
    schedule(product_ids=[instance.pk])


@receiver([post_save, post_delete], sender=Variant)
def variant_changed(sender, instance, **kwargs):
    schedule(product_ids=[instance.product_id])


@receiver(products_changed)
def products_updated(sender, product_ids, **kwargs):
    schedule(product_ids=product_ids)


def related_changed(sender, instance, **kwargs):
    """Deletions need no hook: goods are protected, so they go (and leave the index) first."""
    schedule(related=[(RELATED_MODELS[sender], instance.pk)])


for model in RELATED_MODELS:
    post_save.connect(related_changed, sender=model, dispatch_uid=f"search-{model.__name__}")


for model in facet_names.MODELS.values():
    post_save.connect(facet_names.changed, sender=model, dispatch_uid=f"search-facet-names-{model.__name__}")
    post_delete.connect(facet_names.changed, sender=model, dispatch_uid=f"search-facet-names-gone-{model.__name__}")
