"""Sales jobs: activities."""
