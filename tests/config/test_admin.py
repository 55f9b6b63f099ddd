"""Operators manage everything in the admin: every model is there, searchable, and its pages load."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db
DOMAIN_APPS = ("core", "farmers", "shop", "payments", "promotion")
# Shown inline on their parent (a farmer, a shipping method, a checkout, an order, a transaction).
SHOWN_INLINE = {
    "farmers.FarmerStateChange",
    "shop.ShippingRate",
    "shop.CheckoutLine",
    "shop.ParcelDelivery",
    "shop.OrderLine",
    "payments.Entry",
    "promotion.ContentImage",
}
# Money records: read in the admin, changed only through the services (actions), never added by hand.
READ_ONLY = {
    "core.OutboxMessage",  # written and sent by core.outbox
    "shop.Checkout",
    "shop.Order",
    "shop.Fulfilment",
    "payments.Payment",
    "payments.Refund",
    "payments.Dispute",
    "payments.WebhookEvent",
    "payments.LedgerTransaction",
    "payments.Account",
    "payments.Payout",
    "promotion.CampaignDay",
    "promotion.CampaignViewerDay",
    "promotion.Click",
    "promotion.Spend",
    "promotion.OrderAttribution",
    "promotion.ShareLink",
    "promotion.ShareVisit",
    "promotion.ChosenProvince",  # a shopper's own choice, made on the feed
    "promotion.ProductFeedStats",  # folded by promotion.quality
    "promotion.ReaderChoice",
    "farmers.VillageBaselineChange",  # a history: written by farmers.baselines
}


def domain_models():
    return [
        m for name in DOMAIN_APPS for m in apps.get_app_config(name).get_models() if m._meta.label not in SHOWN_INLINE
    ]


def test_every_model_has_an_admin_with_search_and_filters():
    for model in domain_models():
        model_admin = admin.site._registry.get(model)
        assert model_admin is not None, f"{model._meta.label} has no admin"
        assert model_admin.search_fields, f"{model._meta.label} admin cannot search"
        if model._meta.app_label != "core":
            assert model_admin.list_filter or model._meta.model_name in {"province", "ngo"}, model._meta.label


def test_admin_pages_load_for_an_operator(client):
    from tests.promotion.clicking import click

    product = f.product()
    f.ngo(villages=[product.village])
    f.story(village_=product.village)
    click(f.campaign(products=[product]), product)  # a click, its spend and the campaign's day
    client.force_login(f.user(is_staff=True, is_superuser=True))
    for model in domain_models():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "山"})
        assert changelist.status_code == 200, model._meta.label
        expected_add = 403 if model._meta.label in READ_ONLY else 200
        assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == expected_add, model._meta.label
        first = model.objects.first()
        if first is not None:
            assert client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk])).status_code == 200


def test_admin_verify_action_records_the_operator(client):
    from farmers.models import VerificationState

    farmer = f.farmer(state=VerificationState.PENDING)
    operator = f.user(is_staff=True, is_superuser=True)
    client.force_login(operator)
    client.post(
        reverse("admin:farmers_farmer_changelist"), {"action": "verify_selected", "_selected_action": [farmer.pk]}
    )
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.VERIFIED
    assert farmer.state_changes.get().changed_by == operator


def test_admin_cannot_publish_for_an_unverified_seller(client):
    from farmers.models import VerificationState
    from shop.models import Product

    pending = f.farmer(state=VerificationState.PENDING)
    client.force_login(f.user(is_staff=True, is_superuser=True))
    form = {
        "name": "脐橙",
        "category": f.category().pk,
        "farmer": pending.pk,
        "is_published": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:shop_product_add"), form)
    assert response.status_code == 200 and not Product.objects.exists()
    errors = response.context["adminform"].form.errors.as_data()
    assert errors["is_published"][0].code == "seller_not_verified"

    del form["is_published"]
    client.post(reverse("admin:shop_product_add"), form)
    product = Product.objects.get()
    assert product.village == pending.village and product.slug and product.is_published is False


def test_admin_variant_delete_keeps_the_price_summary(client):
    from decimal import Decimal

    product = f.product(
        variants=[
            {"name": "小", "price": Decimal("10.00"), "stock": 1, "weight_kg": Decimal("1")},
            {"name": "大", "price": Decimal("30.00"), "stock": 0, "weight_kg": Decimal("1")},
        ]
    )
    client.force_login(f.user(is_staff=True, is_superuser=True))
    cheap = product.variants.get(name="小")
    client.post(reverse("admin:shop_variant_delete", args=[cheap.pk]), {"post": "yes"})
    product.refresh_from_db()
    assert (product.min_price, product.in_stock) == (Decimal("30.00"), False)


def test_admin_verification_decision_needs_and_records_a_reason(client):
    from farmers.models import VerificationState

    farmer = f.farmer()
    operator = f.user(is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:farmers_farmer_change", args=[farmer.pk])
    form = {
        "name": farmer.name,
        "phone": farmer.phone,
        "id_number": farmer.id_number,
        "village": farmer.village_id,
        "household_size": 1,
        "change_state_to": "suspended",
        "change_reason": "",
        "state_changes-TOTAL_FORMS": "0",
        "state_changes-INITIAL_FORMS": "0",
    }
    client.post(url, form)
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.VERIFIED  # no reason, no change

    client.post(url, {**form, "change_reason": "多次发货不符"})
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.SUSPENDED
    change = farmer.state_changes.get()
    assert (change.changed_by, change.reason) == (operator, "多次发货不符")


def test_category_with_children_cannot_get_a_parent():
    from django.core.exceptions import ValidationError

    top, other = f.category(), f.category()
    f.category(parent=top)
    top.parent = other
    with pytest.raises(ValidationError):
        top.full_clean()


def test_admin_verifies_a_cooperative_through_the_service(client):
    from farmers.models import VerificationState
    from shop import catalog

    manager = f.user()
    coop = f.cooperative(state=VerificationState.PENDING, manager=manager)
    product = f.product(seller=coop, published=False)
    catalog.update_product(manager, product, publish_when_verified=True)
    client.force_login(f.user(is_staff=True, is_superuser=True))
    form = {
        "name": coop.name,
        "slug": coop.slug,
        "village": coop.village_id,
        "managers": [manager.pk],
        "change_state_to": "verified",
        "change_reason": "",
    }
    client.post(reverse("admin:farmers_cooperative_change", args=[coop.pk]), form)
    coop.refresh_from_db()
    product.refresh_from_db()
    assert coop.verification_state == VerificationState.VERIFIED
    assert product.is_published is True
