from django.urls import path

from . import views

app_name = "impact"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("villages/<int:pk>/", views.village_page, name="village"),
    path("villages/<int:pk>/baseline/", views.village_baseline, name="baseline"),
    path("figures/<slug:key>/", views.figure_detail, name="figure"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
