"""Background jobs: leads."""
