"""Admin: leads."""
