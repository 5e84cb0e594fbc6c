"""Admin pages: segments."""
