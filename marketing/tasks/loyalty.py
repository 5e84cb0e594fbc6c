"""Jobs: loyalty."""
