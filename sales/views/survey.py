"""Sales pages: survey."""

urlpatterns: list = []
