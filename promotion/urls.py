from django.urls import path

from . import views

app_name = "promotion"
urlpatterns = [
    path("r/<str:token>", views.click, name="click"),
    path("feed/", views.feed, name="feed"),
    # Story slugs may be Chinese (allow_unicode), which the slug converter would refuse.
    path("stories/<str:slug>/", views.story, name="story"),
]
