"""Sales jobs: pipeline."""
