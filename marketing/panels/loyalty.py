"""360° panel: loyalty."""
