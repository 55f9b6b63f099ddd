"""Placeholder routes, replaced by the real pages."""

from django.http import HttpResponse
from django.urls import path

app_name = "ngo"


def _todo(request):
    return HttpResponse("")


urlpatterns = [
    path("pending/", _todo, name="pending"),
]
