from django.shortcuts import render

from crm_site.access import area_required


@area_required("analytics")
def index(request):
    return render(request, "analytics/index.html")
