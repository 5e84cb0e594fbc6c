"""Views of the analytics app: the managers' dashboard and its setup (dashboard_urls), and the
reports (report_urls). Each module lists its own URL patterns; analytics/urls.py joins them."""
