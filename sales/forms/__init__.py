"""The sales app's forms, one module per part of the sales process."""
