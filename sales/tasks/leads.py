"""Background jobs: leads."""

from celery import shared_task

from sales.services.lead_rules import leads_rescore_batch


@shared_task(name="sales.leads_rescore")
def leads_rescore(after_id: int = 0) -> None:
    """Rescore the open leads after the scoring rules changed, one bounded batch per run; the
    job re-queues itself for the next batch. Rescoring twice gives the same scores."""
    last_id = leads_rescore_batch(after_id=after_id)
    if last_id is not None:
        leads_rescore.delay(after_id=last_id)
