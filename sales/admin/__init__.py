"""The sales models in the Django admin, one module per part."""

from sales.admin import activities, aftersale, catalog, leads, orders, pipeline, returns  # noqa: F401
