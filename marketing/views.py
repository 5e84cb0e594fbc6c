from django.shortcuts import render

from crm_site.access import area_required


@area_required("marketing")
def index(request):
    return render(request, "marketing/index.html")
