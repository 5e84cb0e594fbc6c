"""Sales pages: activities."""

urlpatterns: list = []
