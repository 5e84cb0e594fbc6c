"""The service models in the Django admin, one module per part."""

from service.admin import contractors, setup, tickets  # noqa: F401
