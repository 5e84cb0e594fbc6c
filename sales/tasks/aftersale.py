"""Sales jobs: aftersale."""
