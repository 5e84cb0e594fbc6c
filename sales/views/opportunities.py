"""Sales pages: opportunities."""

urlpatterns: list = []
