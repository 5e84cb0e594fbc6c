"""Sales jobs: suggestions."""

from celery import shared_task

from sales.services.suggestions import suggestions_refresh


@shared_task(name="sales.refresh_suggestions")
def refresh_suggestions() -> dict:
    """Nightly (beat): recompute co-purchases and group popularity. Safe to run twice: each run
    replaces every row inside one transaction."""
    return suggestions_refresh()
