from django.urls import path

from . import views

app_name = "shop"
urlpatterns = [
    path("", views.home, name="home"),
    path("p/<str:slug>/", views.product_detail, name="product"),
    path("v/<slug:slug>/", views.village_detail, name="village"),
    path("t/<str:token>/", views.line_provenance, name="provenance"),
]
