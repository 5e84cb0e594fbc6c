"""360° panel: activities."""
