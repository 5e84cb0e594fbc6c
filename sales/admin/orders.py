"""Admin: orders."""
