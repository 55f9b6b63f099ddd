from django.urls import path

from . import views

app_name = "promotion"
urlpatterns = [
    path("r/<str:token>", views.click, name="click"),
    path("feed/", views.feed, name="feed"),
]
