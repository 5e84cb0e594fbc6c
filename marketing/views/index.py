"""The marketing home page."""

from django.shortcuts import render
from django.urls import path

from crm_site.access import area_required


@area_required("marketing")
def index(request):
    return render(request, "marketing/index.html")


urlpatterns = [path("", index, name="index")]
