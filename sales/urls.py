"""The sales app's URLs: each part's views module lists its own patterns."""

from sales.views import (
    activities,
    index,
    invoices,
    lead_form,
    lead_rules,
    leads,
    opportunities,
    orders,
    pipeline,
    pipeline_setup,
    products,
    quotes,
    returns,
    setup,
    suggestions,
    survey,
)

app_name = "sales"

urlpatterns = [
    *index.urlpatterns,
    *products.urlpatterns,
    *suggestions.urlpatterns,
    *leads.urlpatterns,
    *lead_rules.urlpatterns,
    *lead_form.urlpatterns,
    *pipeline.urlpatterns,
    *opportunities.urlpatterns,
    *pipeline_setup.urlpatterns,
    *activities.urlpatterns,
    *quotes.urlpatterns,
    *orders.urlpatterns,
    *returns.urlpatterns,
    *invoices.urlpatterns,
    *survey.urlpatterns,
    *setup.urlpatterns,
]
