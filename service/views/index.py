"""The service home page: the figures of the tickets the user may see (own team's, or all)."""

from django.shortcuts import render
from django.urls import path

from crm_site.access import area_required
from service.selectors.dashboard import service_dashboard


@area_required("service")
def index(request):
    return render(request, "service/index.html", {"dashboard": service_dashboard(user=request.user)})


urlpatterns = [path("", index, name="index")]
