from django.urls import include, path

from customers.views import customers as views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="index"),
    path("new/", views.customer_create_view, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:pk>/log/", views.interaction_log, name="log"),
    path("<int:pk>/message/", views.message_send, name="message"),
    path("groups/", views.group_list, name="groups"),
    path("import/", include("customers.views.imports")),
    path("export/", include("customers.views.exports")),
    path("duplicates/", include("customers.views.duplicates")),
]
