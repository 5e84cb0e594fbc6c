"""Sales pages: orders."""

urlpatterns: list = []
