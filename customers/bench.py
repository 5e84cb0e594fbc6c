"""What ``make bench`` measures in the customers app (see crm_site/bench.py).

Pages: the list as a manager (team scope) and as the admin (every row), filtered, searched by a
name and by a phone fragment, the 360° page of the customer with the longest timeline, and a
small export answered at once. Job: the Excel export of every customer as a background job.
"""

from django.db.models import Count
from django.urls import reverse

from crm_site.bench import BenchContext, BenchJob, BenchPage
from crm_site.models import DataJob, User
from customers import exports
from customers.models import Interaction
from customers.selectors import customers_for


def _busiest_customer_url(ctx: BenchContext) -> str:
    """The 360° page with the most timeline entries among the customers the manager sees."""
    manager = User.objects.get(username="manager")
    busiest = (
        Interaction.objects.filter(customer__in=customers_for(user=manager).values("pk"))
        .values("customer_id")
        .annotate(entries=Count("id"))
        .order_by("-entries", "customer_id")
        .first()
    )
    if busiest is None:  # an empty database (--customers 0): the page's 404 shows up as broken
        return reverse("customers:detail", args=[0])
    return reverse("customers:detail", args=[busiest["customer_id"]])


_export = {"job_id": None}


def _queue_export(ctx: BenchContext) -> None:
    """A fresh queued export of every customer for the admin, and no leftovers of earlier runs."""
    for job in DataJob.objects.filter(kind=exports.EXPORT_KIND, params__bench=True):
        job.output_file.delete(save=False)
        job.delete()
    job = DataJob.objects.create(
        kind=exports.EXPORT_KIND,
        user=User.objects.get(username="admin"),
        status=DataJob.Status.QUEUED,
        params={"query": "", "bench": True},
    )
    _export["job_id"] = job.pk


def _run_export(ctx: BenchContext) -> None:
    exports.export_run(job_id=_export["job_id"])
    job = DataJob.objects.get(pk=_export["job_id"])
    if job.status != DataJob.Status.DONE:
        raise RuntimeError(f"The bench export ended {job.status}: {job.error}")


PAGES = [
    BenchPage("customer list", "/customers/", "manager"),
    BenchPage("customer list, filtered", "/customers/?status=active&province=tehran", "manager"),
    BenchPage("customer search, name", "/customers/?q=rezaei", "manager"),
    BenchPage("customer search, phone", "/customers/?q=0912345", "manager"),
    BenchPage("customer 360°, longest timeline", _busiest_customer_url, "manager"),
    BenchPage("customer list, every row", "/customers/", "admin"),
    BenchPage("customer export, small (at once)", "/customers/export/?province=yazd&status=lost", "manager"),
]

JOBS = [
    BenchJob("customer export, every customer (admin)", _run_export, setup=_queue_export),
]
