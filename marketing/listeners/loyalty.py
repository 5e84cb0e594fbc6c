"""Listener: loyalty."""
