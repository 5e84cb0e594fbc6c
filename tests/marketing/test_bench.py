"""The marketing part of ``make bench``, measured in-process on a small seeded database."""

from io import StringIO

import pytest
from django.core.management import call_command

from crm_site import bench
from crm_site.models import OutboxMessage
from customers.models import Customer
from marketing import bench as marketing_bench
from marketing.models import Campaign, CampaignRecipient, Segment

pytestmark = pytest.mark.django_db
CTX = bench.BenchContext(customers=60, seed=2)


@pytest.fixture
def seeded(db):
    call_command("seed_demo", customers=60, seed=2, stdout=StringIO())


def test_marketing_part_is_discovered():
    assert all(page in bench.bench_pages() for page in marketing_bench.PAGES)
    assert all(job in bench.bench_jobs() for job in marketing_bench.JOBS)
    names = {page.name for page in marketing_bench.PAGES}
    assert {"marketing home", "segment live count (3 conditions)", "campaign, most recipients"} <= names


@pytest.mark.parametrize("page", marketing_bench.PAGES, ids=lambda page: page.name)
def test_each_page_answers(seeded, page):
    result = bench.measure_page(page, CTX, requests=1)

    assert result.status == 200, result.url
    assert result.queries > 0


def test_the_live_count_is_asked_with_three_conditions(seeded):
    marketing_bench._preview_setup(CTX)
    rules = marketing_bench._bench_rules()
    assert [condition["field"] for condition in rules["conditions"]] == ["province", "orders_count", "total_spent"]
    assert marketing_bench._PREVIEW_FORM["kind"] == Segment.Kind.RULE


def test_the_campaign_reaches_every_customer_once_and_is_dispatched(seeded):
    queue, dispatch = marketing_bench.JOBS[1], marketing_bench.JOBS[2]

    bench.measure_job(queue, CTX)
    campaign = Campaign.objects.get(name=marketing_bench._BENCH_NAME)  # the second setup replaced the first
    customers = Customer.objects.count()
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == customers
    keys = OutboxMessage.objects.filter(idempotency_key__startswith=f"campaign:{campaign.runs.get().pk}:")
    assert (
        keys.count()
        == customers
        - CampaignRecipient.objects.filter(campaign=campaign, status=CampaignRecipient.Status.NO_ADDRESS).count()
    )

    bench.measure_job(dispatch, CTX)
    assert not OutboxMessage.objects.filter(
        idempotency_key__startswith="campaign:", status=OutboxMessage.Status.QUEUED
    ).exists()


def test_the_other_jobs_run(seeded):
    for job in (marketing_bench.JOBS[0], *marketing_bench.JOBS[3:]):
        bench.measure_job(job, CTX)

    assert Segment.objects.get(name=marketing_bench._COUNT_NAME).last_count is not None
