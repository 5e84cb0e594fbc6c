"""Sales pages: setup."""

urlpatterns: list = []
