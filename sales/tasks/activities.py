"""Sales jobs: activities."""

from celery import shared_task

from sales.services.activities import reminders_send_due


@shared_task(name="sales.send_due_reminders")
def send_due_reminders() -> int:
    """Every minute (beat): send the reminders that fell due. Safe to run twice or in parallel:
    the service claims each reminder with a conditional update before sending it."""
    return reminders_send_due()
