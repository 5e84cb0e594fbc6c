"""The service app's filters, one module per part."""
