"""Sales pages: suggestions."""

urlpatterns: list = []
