"""Sales pages: quotes."""

urlpatterns: list = []
