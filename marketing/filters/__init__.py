"""The marketing app's filters, one module per part (segments, campaigns, automation, loyalty)."""
