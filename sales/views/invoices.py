"""Sales pages: invoices."""

urlpatterns: list = []
