"""The operators' group: view every model of the project's apps, change what operators work on,
and nothing else; a staff user in it can do an operator's work in the admin."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from core.operators import OPERATORS_GROUP, ensure_operator_group
from farmers.models import VerificationState
from shop.models import Product
from tests import factories as f

pytestmark = pytest.mark.django_db
OPERATOR_APPS = ("core", "farmers", "shop", "payments", "promotion", "search")
CHANGES = {
    "farmers.change_farmer",
    "farmers.change_cooperative",
    "shop.change_product",
    "shop.change_order",
    "shop.change_shippingmethod",
    "shop.add_shippingrate",
    "shop.change_shippingrate",
    "shop.delete_shippingrate",
    "payments.change_payment",
    "payments.change_payout",
    "payments.add_payoutdestination",
    "payments.change_payoutdestination",
    "promotion.change_campaign",
    "promotion.change_contentitem",
}
NO_PERMISSION = "你没有查看或编辑的权限"
# The one record operators create in the admin: where a seller is paid (their bank card, from the
# cooperative's or NGO's papers). Everything else arrives through the services.
ADDED_BY_OPERATORS = {("payments", "payoutdestination")}


def held(group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_group_views_everything_and_changes_exactly_what_operators_work_on():
    views = {
        f"{name}.view_{model._meta.model_name}"
        for name in OPERATOR_APPS
        for model in apps.get_app_config(name).get_models()
    }
    assert held(ensure_operator_group()) == views | CHANGES


def test_ensuring_again_restores_the_declared_permissions_and_keeps_the_members():
    group = ensure_operator_group()
    operator = f.user(is_staff=True)
    operator.groups.add(group)
    group.permissions.add(Permission.objects.get(codename="delete_order"))
    group.permissions.remove(Permission.objects.get(codename="change_order"))

    out = StringIO()
    call_command("ensure_operator_group", stdout=out)

    group = Group.objects.get(name=OPERATORS_GROUP)
    assert "shop.delete_order" not in held(group) and "shop.change_order" in held(group)
    assert list(group.user_set.all()) == [operator]
    assert Group.objects.filter(name=OPERATORS_GROUP).count() == 1
    assert f"{len(held(group))} permissions, 1 users" in out.getvalue()


def test_a_declared_permission_that_does_not_exist_is_an_error(monkeypatch):
    monkeypatch.setattr(apps.get_app_config("shop"), "operator_permissions", ("change_ordr",))
    with pytest.raises(ImproperlyConfigured, match=r"shop\.change_ordr"):
        ensure_operator_group()


@pytest.fixture
def operator(client):
    user = f.user(is_staff=True)
    user.groups.add(ensure_operator_group())
    client.force_login(user)
    return user


def test_staff_without_the_group_see_nothing(client):
    client.force_login(f.user(is_staff=True))
    assert NO_PERMISSION in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:payments_payment_changelist")).status_code == 403
    assert client.get(reverse("admin:shop_order_changelist")).status_code == 403


def test_an_operator_sees_every_model_but_adds_only_payout_destinations_and_deletes_none(client, operator):
    from django.contrib import admin

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200 and NO_PERMISSION not in index.content.decode()
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        if info[0] not in OPERATOR_APPS:
            continue
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, info
        assert model_admin.has_add_permission(_request(operator)) == (info in ADDED_BY_OPERATORS), info
        assert not model_admin.has_delete_permission(_request(operator)), info
    assert client.get(reverse("admin:shop_product_add")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_an_operator_verifies_farmers_and_withdraws_products(client, operator):
    farmer = f.farmer(state=VerificationState.PENDING)
    client.post(
        reverse("admin:farmers_farmer_changelist"), {"action": "verify_selected", "_selected_action": [farmer.pk]}
    )
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.VERIFIED

    product = f.product()
    form = {
        "name": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "farmer": product.farmer_id,
        "description": product.description,
        "created_by": product.created_by_id or "",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:shop_product_change", args=[product.pk]), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Product.objects.get(pk=product.pk).is_published is False
