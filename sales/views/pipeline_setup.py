"""Sales pages: pipeline_setup."""

urlpatterns: list = []
