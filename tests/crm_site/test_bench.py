"""The benchmark's measuring, in-process on the test database at a tiny scale (no subprocess)."""

import pytest
from django.contrib.auth.models import Group

from crm_site import bench
from crm_site.access import Role
from crm_site.models import OutboxMessage, User

CTX = bench.BenchContext(customers=0, seed=1)


@pytest.fixture
def manager(db):
    # Role groups come from a migration, and the suite runs without migrations.
    user, _created = User.objects.get_or_create(username="manager")
    user.groups.add(Group.objects.get_or_create(name=Role.MANAGER.value)[0])
    return user


def test_crm_site_part_is_discovered():
    assert all(page in bench.bench_pages() for page in bench.PAGES)
    assert all(job in bench.bench_jobs() for job in bench.JOBS)


@pytest.mark.django_db
@pytest.mark.parametrize("page", bench.PAGES, ids=lambda page: page.name)
def test_each_page_is_measured(manager, page):
    result = bench.measure_page(page, CTX, requests=3)

    assert result.status == 200
    assert result.ok
    assert result.url == page.url
    assert 0 < result.p50_ms <= result.p95_ms
    assert isinstance(result.queries, int)
    assert result.queries >= 0


@pytest.mark.django_db
def test_a_broken_page_is_reported(manager):
    result = bench.measure_page(bench.BenchPage("missing", "/no-such-page/", "manager"), CTX, requests=1)

    assert result.status == 404
    assert not result.ok


@pytest.mark.django_db
@pytest.mark.parametrize("job", bench.JOBS, ids=lambda job: job.name)
def test_each_job_yields_time_and_memory(monkeypatch, job):
    monkeypatch.setattr(bench, "OUTBOX_MESSAGES", 20)

    result = bench.measure_job(job, CTX)

    assert result.seconds > 0
    assert result.peak_mib >= 0


@pytest.mark.django_db
def test_outbox_job_sends_every_message(monkeypatch):
    monkeypatch.setattr(bench, "OUTBOX_MESSAGES", 20)
    job = next(job for job in bench.JOBS if job.name.startswith("outbox"))

    bench.measure_job(job, CTX)

    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 20
