"""The service app's forms, one module per part."""
