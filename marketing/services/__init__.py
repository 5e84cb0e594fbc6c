"""The marketing app's services, one module per part (segments, campaigns, automation, loyalty)."""
