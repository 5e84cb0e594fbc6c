"""Sales jobs: the thank-you and survey SMS after a sale."""

from celery import shared_task

from sales.services.aftersale import after_sale_send_due


@shared_task(name="sales.send_after_sale_messages")
def send_after_sale_messages() -> dict:
    """Every 5 minutes (beat): queue the after-sale messages that fell due, outside the quiet
    hours. Safe to run twice or in parallel: each order is claimed before its message is queued.
    A full batch means more are waiting, so the job queues itself again for the next one."""
    result = after_sale_send_due()
    if result["more"]:
        send_after_sale_messages.delay()
    return result
