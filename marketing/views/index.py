"""The marketing home page."""

from django.shortcuts import render
from django.urls import path

from crm_site.access import area_required
from marketing.selectors.home import marketing_home


@area_required("marketing")
def index(request):
    return render(request, "marketing/index.html", {"home": marketing_home(user=request.user)})


urlpatterns = [path("", index, name="index")]
