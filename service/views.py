from django.shortcuts import render

from crm_site.access import area_required


@area_required("service")
def index(request):
    return render(request, "service/index.html")
