"""The sales app's services, one module per part of the sales process."""
