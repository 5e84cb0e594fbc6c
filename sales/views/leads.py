"""Sales pages: leads."""

urlpatterns: list = []
