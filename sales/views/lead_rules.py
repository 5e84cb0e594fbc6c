"""Sales pages: lead_rules."""

urlpatterns: list = []
