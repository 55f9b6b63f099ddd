"""Placeholder routes, replaced by the real pages."""

from django.http import HttpResponse
from django.urls import path

app_name = "seller"


def _todo(request):
    return HttpResponse("")


urlpatterns = [
    path("products/", _todo, name="products"),
]
