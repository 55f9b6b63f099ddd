"""`core.model_loading.FastRows` builds the same instance as Django's own `from_db` (through
`Model.__init__`), and steps aside wherever it could not."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.db.models.signals import post_init, pre_init

from core.model_loading import FastRows
from promotion.models import ContentImage
from shop.models import ImageStatus, Product, ProductImage, Variant
from tests import factories

FAST_MODELS = sorted(
    (model for model in apps.get_models() if issubclass(model, FastRows)), key=lambda model: model._meta.label
)


def _variant(name, price, stock):
    return {"name": name, "price": Decimal(price), "stock": stock, "weight_kg": Decimal("1.0")}


def _django_from_db(model, db, names, values):
    """What Django builds: Model.from_db itself, past the mixin."""
    return models.Model.from_db.__func__(model, db, names, values)


def _state(instance):
    return {name: value for name, value in vars(instance).items() if name != "_state"}


def test_the_catalogues_models_use_it():
    """The models a catalogue page builds by the hundred (and only models, never their users)."""
    labels = {model._meta.label for model in FAST_MODELS}
    assert {
        "shop.Product",
        "shop.Variant",
        "shop.ProductImage",
        "shop.Category",
        "farmers.Farmer",
        "farmers.Cooperative",
        "farmers.Village",
        "farmers.County",
        "farmers.Province",
    } <= labels


@pytest.mark.django_db
@pytest.mark.parametrize("model", FAST_MODELS, ids=lambda model: model._meta.label)
def test_the_same_instance_as_djangos_for_every_model(model):
    variants = [_variant("1 kg", "12.50", 5), _variant("5 kg", "55.00", 0)]
    product = factories.product(variants=variants, description="山里的茶")
    factories.product(seller=factories.cooperative())
    ProductImage.objects.create(product=product, status=ImageStatus.READY, small="products/1/s.jpg", alt="茶")
    ContentImage.objects.create(item=factories.story(), status=ImageStatus.PENDING, caption="茶园")
    rows = list(model.objects.all())
    assert rows, f"no {model._meta.label} to load"
    names = [field.attname for field in model._meta.concrete_fields]
    for row in rows:
        values = [getattr(row, name) for name in names]
        fast, django = model.from_db("default", names, values), _django_from_db(model, "default", names, values)
        assert type(fast) is type(django) is model
        assert _state(fast) == _state(django)
        assert list(vars(fast)) == list(vars(django)), "the same attributes, in the same order"
        assert (fast._state.adding, fast._state.db) == (django._state.adding, django._state.db) == (False, "default")
        assert fast._state.fields_cache == {} and fast == django and hash(fast) == hash(django)


@pytest.mark.django_db
def test_loaded_instances_behave_as_djangos():
    """Related objects, file fields, changes and saving, on instances a queryset built."""
    product = factories.product(variants=[_variant("1 kg", "12.50", 5)])
    ProductImage.objects.create(product=product, status=ImageStatus.READY, small="products/1/s.jpg")
    loaded = Product.objects.get(pk=product.pk)
    assert loaded.farmer.pk == product.farmer_id and loaded.category.name == product.category.name
    image = loaded.images.get()
    assert image.small.url == "/media/products/1/s.jpg" and image.url("small") == image.small.url
    loaded.name = "新茶"
    loaded.save(update_fields=["name"])
    assert Product.objects.get(pk=product.pk).name == "新茶"
    variant = Variant.objects.get(product=product)
    variant.product_id = product.pk  # the foreign key descriptor's own bookkeeping still works
    assert variant.product == loaded


@pytest.mark.django_db
def test_deferred_columns_take_djangos_road():
    product = factories.product()
    loaded = Product.objects.only("name").get(pk=product.pk)
    assert loaded.get_deferred_fields() >= {"slug", "description"}
    assert loaded.slug == product.slug  # loaded on access, as Django does


@pytest.mark.django_db
@pytest.mark.parametrize("signal", [pre_init, post_init])
def test_a_listener_to_the_init_signals_gets_its_signal(signal):
    """A receiver of pre_init/post_init for the model (an ImageField with dimensions, another
    app's bookkeeping) must still hear of every instance."""
    product = factories.product()
    heard = []

    def listener(sender, **kwargs):
        heard.append(sender)

    signal.connect(listener, sender=Product)
    try:
        Product.objects.get(pk=product.pk)
    finally:
        signal.disconnect(listener, sender=Product)
    assert heard == [Product]
