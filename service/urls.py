"""The service app's URLs: each part's views module lists its own patterns."""

from service.views import index, public, setup, tickets, work_orders

app_name = "service"

urlpatterns = [
    *index.urlpatterns,
    *tickets.urlpatterns,
    *work_orders.urlpatterns,
    *public.urlpatterns,
    *setup.urlpatterns,
]
