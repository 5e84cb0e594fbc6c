"""The marketing app's views, one module per part; each lists its own ``urlpatterns``."""
