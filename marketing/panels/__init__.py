"""The marketing panels of the 360° customer page (registered when the app is ready)."""

from marketing.panels import loyalty  # noqa: F401
