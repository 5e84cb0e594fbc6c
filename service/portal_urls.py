from django.urls import path

from service import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.index, name="index"),
    path("<int:pk>/", portal_views.work_order, name="work_order"),
    path("<int:pk>/accept/", portal_views.accept, name="accept"),
    path("<int:pk>/decline/", portal_views.decline, name="decline"),
    path("<int:pk>/start/", portal_views.start, name="start"),
    path("<int:pk>/note/", portal_views.note, name="note"),
    path("<int:pk>/done/", portal_views.done, name="done"),
    path("photos/<int:pk>/", portal_views.photo, name="photo"),
]
