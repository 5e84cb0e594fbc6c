"""Sales jobs: remind owners of their rotting opportunities."""

from celery import shared_task

from sales.services.pipeline import opportunities_remind_rotting


@shared_task(name="sales.remind_rotting_opportunities")
def remind_rotting_opportunities() -> int:
    # Safe to run twice: the service claims each opportunity before reminding of it.
    return opportunities_remind_rotting()
