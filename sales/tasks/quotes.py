"""Sales jobs: quotes."""

from celery import shared_task

from sales.services.quotes import quotes_expire


@shared_task(name="sales.expire_quotes")
def expire_quotes() -> int:
    """Daily (beat): mark the draft and sent quotes past their validity date as expired. Safe to
    run twice or in parallel: the service changes only quotes still waiting for an answer."""
    return quotes_expire()
