"""Sales pages: lead_form."""

urlpatterns: list = []
