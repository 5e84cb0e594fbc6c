from django.urls import path

from service import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.index, name="index"),
]
