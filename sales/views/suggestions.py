"""Product suggestions for a quote or order form (an htmx partial).

GET /sales/suggestions/?customer=<id>&product=<id>&product=<id>[&exclude=<id>...] answers the
card list ``sales/suggestions/_list.html``. Each card's button carries ``data-product-id``,
``data-product-name`` and ``data-price`` for the form that includes the list to add a line.
"""

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm_site.access import area_required
from sales.selectors.suggestions import suggestion_customer_get, suggestions_for

# Ids read from the query string at most (an order with more lines is not a real case).
MAX_IDS = 200


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values[:MAX_IDS] if value.strip().isdigit()]


@require_GET
@area_required("sales")
def suggestions(request):
    customer_id = request.GET.get("customer", "")
    if not customer_id.strip().isdigit():
        return HttpResponseBadRequest(_("Choose a customer first."))
    customer = suggestion_customer_get(user=request.user, pk=int(customer_id))
    items = suggestions_for(
        customer=customer,
        product_ids=_ids(request.GET.getlist("product")),
        exclude_product_ids=_ids(request.GET.getlist("exclude")),
    )
    return render(request, "sales/suggestions/_list.html", {"customer": customer, "suggestions": items})


urlpatterns = [path("suggestions/", suggestions, name="suggestions")]
