from analytics.views import dashboard_urls, report_urls

app_name = "analytics"

urlpatterns = [*dashboard_urls.urlpatterns, *report_urls.urlpatterns]
