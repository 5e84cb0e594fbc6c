"""Jobs: automation."""
