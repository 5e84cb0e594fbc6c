"""The marketing app's URLs: each part's views module lists its own patterns."""

from marketing.views import automation, campaigns, index, loyalty, public, segments

app_name = "marketing"

urlpatterns = [
    *index.urlpatterns,
    *segments.urlpatterns,
    *campaigns.urlpatterns,
    *automation.urlpatterns,
    *loyalty.urlpatterns,
    *public.urlpatterns,
]
