"""Jobs: campaigns.

``marketing.campaigns_run_due`` (beat, every minute) starts the runs that fell due and restarts
stalled ones; ``marketing.campaign_send_batch`` sends one batch of a run and queues the next
when the batch came back full. Both are safe to run twice: the services decide with locks,
conditional updates and unique keys.
"""

from celery import shared_task

from marketing.models import CampaignRun
from marketing.services import campaign_sending


@shared_task(name="marketing.campaigns_run_due", ignore_result=True)
def campaigns_run_due() -> dict:
    return campaign_sending.campaigns_run_due()


@shared_task(name="marketing.campaign_send_batch", ignore_result=True)
def campaign_send_batch(run_id: int) -> dict:
    run = CampaignRun.objects.filter(pk=run_id).first()
    if run is None:
        return {"processed": 0}
    result = campaign_sending.campaign_run_send_batch(run=run)
    if result.more:
        # The batch committed; the next one is its own task, so a pause takes effect between them.
        campaign_send_batch.delay(run_id)
    return {"processed": result.processed, "waiting": result.waiting, "stopped": result.stopped}
