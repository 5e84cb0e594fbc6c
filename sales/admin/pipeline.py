"""Admin: pipeline."""
