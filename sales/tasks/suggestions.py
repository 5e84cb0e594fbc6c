"""Sales jobs: suggestions."""
