"""The marketing app's selectors, one module per part (segments, campaigns, automation, loyalty)."""
