"""The service-level job: warnings before a deadline, escalation on a breach."""

from celery import shared_task

from service.services.sla import sla_check


@shared_task(name="service.check_sla")
def check_sla() -> dict:
    """Run every minute by beat; running it twice, or in two workers, acts on each event once."""
    result = sla_check()
    return {"warnings": result.warnings, "breaches": result.breaches}
