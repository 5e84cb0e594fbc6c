"""The service panels of the 360° customer page (registered when the app is ready)."""

from service.panels import service  # noqa: F401
