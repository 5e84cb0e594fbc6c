"""Admin pages: automation."""
