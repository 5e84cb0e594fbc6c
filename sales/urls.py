"""The sales app's URLs: each part's views module lists its own patterns."""

from sales.views import activities, index, lead_form, leads, orders, pipeline, products, setup, survey

app_name = "sales"

urlpatterns = [
    *index.urlpatterns,
    *products.urlpatterns,
    *leads.urlpatterns,
    *lead_form.urlpatterns,
    *pipeline.urlpatterns,
    *activities.urlpatterns,
    *orders.urlpatterns,
    *survey.urlpatterns,
    *setup.urlpatterns,
]
