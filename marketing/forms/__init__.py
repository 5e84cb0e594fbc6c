"""The marketing app's forms, one module per part (segments, campaigns, automation, loyalty)."""
