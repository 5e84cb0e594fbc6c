"""The sales panels of the 360° customer page (registered when the app is ready)."""

from sales.panels import activities, opportunities, orders  # noqa: F401
