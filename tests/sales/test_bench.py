"""The sales part of ``make bench``, measured in-process on a small seeded database."""

from io import StringIO

import pytest
from django.core.management import call_command

from crm_site import bench
from crm_site.models import Notification
from sales import bench as sales_bench
from sales.models import Activity, Invoice, Order, ProductAffinity

pytestmark = pytest.mark.django_db
CTX = bench.BenchContext(customers=60, seed=2)


@pytest.fixture
def seeded(db):
    call_command("seed_demo", customers=60, seed=2, stdout=StringIO())


def test_sales_part_is_discovered():
    assert all(page in bench.bench_pages() for page in sales_bench.PAGES)
    assert all(job in bench.bench_jobs() for job in sales_bench.JOBS)
    urls = {page.name: page.url for page in sales_bench.PAGES}
    assert {"pipeline board (team)", "my day", "order, most lines", "order suggestions (htmx)"} <= set(urls)


def test_the_order_pages_point_at_the_managers_biggest_order(seeded):
    found = sales_bench._biggest_order()

    order = Order.objects.get(pk=found["order"])
    assert order.owner.username == "manager"
    assert order.lines.count() == max(o.lines.count() for o in Order.objects.filter(owner=order.owner))
    assert Invoice.objects.get(pk=found["invoice"]).order_id == order.pk
    assert sales_bench._order_url(CTX) == f"/sales/orders/{order.pk}/"
    assert sales_bench._suggestions_url(CTX) == (
        f"/sales/suggestions/?customer={order.customer_id}&product={order.lines.order_by('pk')[0].product_id}"
    )
    assert sales_bench._invoice_print_url(CTX) == f"/sales/invoices/{found['invoice']}/print/"


@pytest.mark.parametrize("page", sales_bench.PAGES, ids=lambda page: page.name)
def test_each_page_answers(seeded, page):
    result = bench.measure_page(page, CTX, requests=1)

    assert result.status == 200, result.url
    assert result.queries > 0


def test_every_due_reminder_is_claimed_once(seeded, monkeypatch):
    monkeypatch.setattr(sales_bench, "REMINDERS", 120)
    job = sales_bench.JOBS[0]

    result = bench.measure_job(job, CTX)

    assert result.seconds > 0
    bench_activities = Activity.objects.filter(subject__startswith="Bench reminder")
    assert bench_activities.count() == 120  # the second setup replaced the first run's rows
    assert not bench_activities.filter(reminder_sent_at__isnull=True).exists()
    assert Notification.objects.filter(title__contains="Bench reminder").count() == 120


def test_the_other_jobs_run(seeded, monkeypatch):
    monkeypatch.setattr(sales_bench, "AFTER_SALE_ORDERS", 10)
    ProductAffinity.objects.all().delete()

    for job in sales_bench.JOBS[1:]:
        bench.measure_job(job, CTX)

    assert ProductAffinity.objects.exists()
    latest = Order.objects.filter(paid_at__isnull=False).order_by("-paid_at", "-pk")[:10]
    assert all(order.thank_you_sent_at is not None for order in latest)
