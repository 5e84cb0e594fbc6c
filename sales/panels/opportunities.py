"""360° panel: opportunities."""
