"""Admin pages: loyalty."""
