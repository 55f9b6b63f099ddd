"""Placeholder routes, replaced by the real pages."""

from django.http import HttpResponse
from django.urls import path

app_name = "accounts"


def _todo(request):
    return HttpResponse("")


urlpatterns = [
    path("login/", _todo, name="login"),
    path("logout/", _todo, name="logout"),
    path("signup/", _todo, name="signup"),
]
