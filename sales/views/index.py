"""The sales home page."""

from django.shortcuts import render
from django.urls import path

from crm_site.access import area_required


@area_required("sales")
def index(request):
    return render(request, "sales/index.html")


urlpatterns = [path("", index, name="index")]
