"""Views of the customers app, one module per feature; each module ends with its URL patterns,
which customers/urls.py includes under the app's namespace."""
