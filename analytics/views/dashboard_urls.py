"""URLs of the managers' dashboard and the analytics setup pages (joined in analytics/urls.py)."""

from django.urls import path

from analytics.views import dashboard, setup

urlpatterns = [
    path("", dashboard.index, name="index"),
    path("export.xlsx", dashboard.export, name="index_export"),
    path("runs/", setup.runs, name="runs"),
    path("runs/request/", setup.run_request, name="run_request"),
    path("runs/<int:pk>/progress/", setup.run_progress, name="run_progress"),
    path("settings/", setup.settings, name="settings"),
]
