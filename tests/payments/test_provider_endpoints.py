"""The providers' endpoints are called by their servers, which carry no CSRF token: every one is
exempt from the CSRF check (a 403 there would make the provider retry for days and never book), and
takes only POST. The test client skips the CSRF check unless told, so it is enforced here."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ENDPOINTS = ["stripe-webhook", "wechatpay-notify", "wechatpay-transfer-notify", "alipay-notify"]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_providers_post_is_never_refused_for_csrf(name):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse(f"payments:{name}"), b"{}", content_type="application/json")
    assert response.status_code != 403, response.content[:200]
    assert response.status_code < 500


@pytest.mark.parametrize("name", ENDPOINTS)
def test_only_post(name):
    assert Client().get(reverse(f"payments:{name}")).status_code == 405
