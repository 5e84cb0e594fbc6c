"""Background jobs of the customers app: thin, take a job id, call the service."""

from celery import shared_task


@shared_task(ignore_result=True)
def run_customer_import(job_id: int) -> None:
    from customers.imports import import_run

    import_run(job_id=job_id)


@shared_task(ignore_result=True)
def run_customer_export(job_id: int) -> None:
    from customers.exports import export_run

    export_run(job_id=job_id)
