"""The sales app's selectors, one module per part of the sales process."""
