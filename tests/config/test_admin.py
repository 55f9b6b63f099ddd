"""Operators manage everything in the admin: every model is there, searchable, and its pages load."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db
DOMAIN_APPS = ("core", "farmers", "shop")
# The verification record is shown inline on the farmer; it is not edited on its own.
SHOWN_INLINE = {"farmers.FarmerStateChange"}


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
    product = f.product()
    f.ngo(villages=[product.village])
    client.force_login(f.user(is_staff=True, is_superuser=True))
    for model in domain_models():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "山"})
        assert changelist.status_code == 200, model._meta.label
        assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, model._meta.label
        first = model.objects.first()
        if first is not None:
            assert client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk])).status_code == 200


def test_admin_verify_action_records_the_operator(client):
    from farmers.models import VerificationState

    farmer = f.farmer(state=VerificationState.PENDING)
    operator = f.user(is_staff=True, is_superuser=True)
    client.force_login(operator)
    client.post(
        reverse("admin:farmers_farmer_changelist"), {"action": "mark_verified", "_selected_action": [farmer.pk]}
    )
    farmer.refresh_from_db()
    assert farmer.verification_state == VerificationState.VERIFIED
    assert farmer.state_changes.get().changed_by == operator
