"""The sales app's filters, one module per part of the sales process."""
