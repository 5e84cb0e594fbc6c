"""Admin: activities."""
