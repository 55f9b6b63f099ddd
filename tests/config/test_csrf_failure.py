"""A form sent after its page was open too long (the CSRF token or the session behind it expired,
as on a cheap phone that keeps a tab for days) gets a kind page in the site's layout and the
person's language, with status 403: not Django's page about CSRF cookies and Referer headers."""

import pytest
from django.test import Client
from django.urls import reverse

from shop.models import Product
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_farmer_form_sent_without_its_token_says_what_to_do_in_chinese():
    farmer = f.farmer(name="龙大姐")
    category = f.category(name="水果")
    client = Client(enforce_csrf_checks=True)
    client.force_login(farmer.user)
    form = reverse("seller:product_new")

    response = client.post(
        form,
        {"name": "赣南脐橙", "category": category.pk},
        HTTP_REFERER=f"http://testserver{form}",
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and 'class="site-header"' in page, "the site's own layout"
    assert "这个页面打开太久了" in page
    assert "请回到刚才的页面，刷新一下，再填一遍，重新提交。" in page
    assert f'href="http://testserver{form}"' in page, "a link back to the form"
    assert "CSRF" not in page and "Referer" not in page and "cookie" not in page.lower()
    assert not Product.objects.exists()


def test_the_page_follows_the_chosen_language_and_never_links_elsewhere():
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("accounts:login"), {"username": "x"}, HTTP_REFERER="https://evil.example/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page was open too long." in page
    assert "evil.example" not in page and f'href="{reverse("shop:home")}"' in page
