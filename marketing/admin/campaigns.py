"""Admin pages: campaigns."""
