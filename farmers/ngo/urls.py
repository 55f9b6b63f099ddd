from django.urls import path

from . import views

app_name = "ngo"
urlpatterns = [
    path("", views.pending, name="pending"),
    path("farmers/<int:pk>/", views.farmer_record, name="farmer"),
    path("farmers/<int:pk>/decide/", views.decide, name="decide"),
]
