"""segments pages of the marketing app."""

urlpatterns: list = []
