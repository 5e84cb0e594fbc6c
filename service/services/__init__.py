"""Every write of the service app, one module per part of the service process."""
