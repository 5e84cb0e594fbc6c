"""The contractor portal: the only pages a contractor can open."""

from django.shortcuts import render

from crm_site.access import area_required


@area_required("portal")
def index(request):
    return render(request, "service/portal/index.html")
