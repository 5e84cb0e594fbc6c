"""URLs of the report pages (analytics/views/reports.py), joined into the app's by analytics/urls.py.
Names start with the subnav's section (value, pareto, rfm, churn, forecast, basket)."""

from django.urls import path

from analytics.views import reports

urlpatterns = [
    path("value/", reports.value_report, name="value"),
    path("value/export/", reports.value_export, name="value_export"),
    path("value/<int:pk>/suggestions/", reports.value_suggestions, name="value_suggestions"),
    path("pareto/", reports.pareto, name="pareto"),
    path("pareto/export/", reports.pareto_export, name="pareto_export"),
    path("rfm/", reports.rfm, name="rfm"),
    path("rfm/export/", reports.rfm_export, name="rfm_export"),
    path("rfm/<slug:code>/", reports.rfm_segment, name="rfm_segment"),
    path("rfm/<slug:code>/export/", reports.rfm_segment_export, name="rfm_segment_export"),
    path("churn/", reports.churn, name="churn"),
    path("churn/export/", reports.churn_export, name="churn_export"),
    path("churn/lost/export/", reports.churn_lost_export, name="churn_lost_export"),
    path("forecast/", reports.forecast, name="forecast"),
    path("forecast/export/", reports.forecast_export, name="forecast_export"),
    path("basket/", reports.basket, name="basket"),
    path("basket/export/", reports.basket_export, name="basket_export"),
]
