from django.shortcuts import render

from crm_site.access import area_required


@area_required("sales")
def index(request):
    return render(request, "sales/index.html")
