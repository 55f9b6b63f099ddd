from django.urls import path

from . import views

app_name = "promotion"
urlpatterns = [
    path("r/<str:token>", views.click, name="click"),
    path("feed/", views.feed, name="feed"),
    path("feed/province/", views.province, name="province"),
    path("feed/personal", views.personalisation_switch, name="personalisation"),
    # Story slugs may be Chinese (allow_unicode), which the slug converter would refuse.
    path("stories/<str:slug>/", views.story, name="story"),
    path("s/<str:token>", views.share, name="share"),
    # Beside shop's product page (/p/<slug>/), which cannot match it (its slug stops at a "/").
    path("p/<str:slug>/poster.png", views.poster, name="poster"),
]
