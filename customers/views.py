from django.shortcuts import render

from crm_site.access import area_required


@area_required("customers")
def index(request):
    return render(request, "customers/index.html")
