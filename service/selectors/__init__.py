"""The service app's selectors, one module per part."""
