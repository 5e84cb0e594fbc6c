"""Background jobs: catalog."""
