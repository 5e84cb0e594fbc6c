"""Sales pages: products."""

urlpatterns: list = []
