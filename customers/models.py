"""Models of the customers app."""
