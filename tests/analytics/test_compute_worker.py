"""The analytics jobs through a real Celery worker process (not eager), against the test database
(the worker and its helpers are those of tests/crm_site/test_worker.py)."""

import datetime
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import ComputeRun
from analytics.tasks import compute_run, nightly
from customers.models import CustomerStats
from tests.crm_site.test_worker import wait_for, worker_queue  # noqa: F401  (worker_queue is a fixture)
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _finished(run_id: int) -> bool:
    return ComputeRun.objects.filter(pk=run_id, active__isnull=True).exists()


@pytest.fixture
def buyers(db):
    now = timezone.now()
    customers = [CustomerFactory() for _ in range(3)]
    for index, customer in enumerate(customers):
        for days_ago in (90, 40 - 10 * index):
            OrderFactory(
                customer=customer, ordered_at=now - datetime.timedelta(days=days_ago), subtotal=Decimal(100 + index)
            )
    return customers


def test_the_nightly_job_and_a_queued_run_in_a_real_worker(worker_queue, buyers):  # noqa: F811
    nightly.apply_async(queue=worker_queue)
    assert wait_for(lambda: ComputeRun.objects.filter(status=ComputeRun.Status.DONE).exists()), "no run finished"
    stats = CustomerStats.objects.get(customer=buyers[0])
    assert stats.frequency == 2 and stats.recency_days == 40 and stats.rfm_segment

    # "Recompute now" makes a queued run; its task, delivered twice, runs it once.
    queued = ComputeRun.objects.create()
    compute_run.apply_async(args=[queued.pk], queue=worker_queue)
    compute_run.apply_async(args=[queued.pk], queue=worker_queue)
    assert wait_for(lambda: _finished(queued.pk)), "the queued run never finished"
    time.sleep(2)  # the second delivery has had its chance to run it again
    queued.refresh_from_db()
    assert queued.status == ComputeRun.Status.DONE and len(queued.steps) == 9
    assert ComputeRun.objects.filter(status=ComputeRun.Status.DONE).count() == 2
