"""The sales home page: the figures of the user's scope (own, team, all) for a period."""

from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from crm_site.access import area_required
from sales.forms.metrics import PeriodForm
from sales.selectors.metrics import sales_metrics


@area_required("sales")
def index(request):
    form = PeriodForm(request.GET or None)
    today = timezone.localdate()
    metrics = sales_metrics(user=request.user, period=form.chosen_period(today=today), today=today)
    return render(request, "sales/index.html", {"form": form, "metrics": metrics})


urlpatterns = [path("", index, name="index")]
