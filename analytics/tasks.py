"""Jobs of the analytics app. Thin and safe to run twice: the run's status decides.

``analytics.compute_nightly`` (beat, nightly) creates a run unless one is already queued or
running, and runs it; ``analytics.compute_run`` runs the queued run that "recompute now" made,
and does nothing when that run is no longer queued (taken by another worker, or redelivered
after it finished).
"""

from celery import shared_task

from analytics.services.runs import compute_execute, compute_nightly


@shared_task(name="analytics.compute_nightly", ignore_result=True)
def nightly() -> dict:
    run = compute_nightly()
    return {"run": run.pk if run else None, "status": run.status if run else "skipped"}


@shared_task(name="analytics.compute_run", ignore_result=True)
def compute_run(run_id: int) -> dict:
    run = compute_execute(run_id=run_id)
    return {"run": run_id, "status": run.status if run else "skipped"}
