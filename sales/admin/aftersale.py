"""Admin: aftersale."""
