from django.urls import path

from . import views

app_name = "sponsor"
urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/report.csv", views.report_csv, name="report_csv"),
    path("campaigns/<int:pk>/pause/", views.pause, name="pause"),
    path("campaigns/<int:pk>/resume/", views.resume, name="resume"),
    path("campaigns/<int:pk>/targeting/", views.targeting, name="targeting"),
]
