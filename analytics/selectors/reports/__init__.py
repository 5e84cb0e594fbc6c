"""Reads of the analytics report pages (lifetime value, Pareto, RFM, churn, forecast, basket),
one module per report; each scopes customer-based rows to the user with ``common.customer_scoped``."""
