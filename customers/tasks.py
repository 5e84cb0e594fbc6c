"""Background jobs of the customers app: thin, take a job id, call the service.

The services enqueue these tasks with a local import, so this module may import them at the top.
"""

from celery import shared_task

from customers.exports import export_run
from customers.imports import import_run


@shared_task(ignore_result=True)
def run_customer_import(job_id: int) -> None:
    import_run(job_id=job_id)


@shared_task(ignore_result=True)
def run_customer_export(job_id: int) -> None:
    export_run(job_id=job_id)
