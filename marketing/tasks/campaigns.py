"""Jobs: campaigns."""
