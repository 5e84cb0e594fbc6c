"""360° panel: orders."""
