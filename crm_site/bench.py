"""What ``make bench`` measures, how it measures it, and the plumbing's own pages and jobs.

Every installed app may have a ``bench`` module with ``PAGES: list[BenchPage]`` and
``JOBS: list[BenchJob]``. ``manage.py bench`` seeds a separate database with ``seed_demo`` and
measures them in INSTALLED_APPS order: each page ``requests`` times through Django's test client
(timings and query count), each job once for its time and once for its peak memory.
"""

import math
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_site.demo import app_modules
from crm_site.messaging import sms
from crm_site.messaging.services import outbox_dispatch
from crm_site.models import Channel, OutboxMessage, User
from crm_site.services import heartbeat_record


@dataclass(frozen=True)
class BenchContext:
    """What registered callables may need to know: the scale and seed the database was seeded with."""

    customers: int
    seed: int


@dataclass(frozen=True)
class BenchPage:
    name: str
    # A fixed URL, or a callable for URLs that need seeded data (``reverse(..., args=[pk])``).
    url: str | Callable[[BenchContext], str]
    username: str | None = None  # None: an anonymous visitor
    method: str = "GET"
    data: dict | None = None
    # Anything else counts as broken and makes ``manage.py bench`` exit non-zero.
    expected_status: int = 200
    # Runs once, untimed, before the page is requested.
    setup: Callable[[BenchContext], None] | None = None


@dataclass(frozen=True)
class BenchJob:
    name: str
    run: Callable[[BenchContext], None]
    # Runs untimed before each of the job's two runs (timed, then traced), e.g. to fill a queue.
    setup: Callable[[BenchContext], None] | None = None


@dataclass(frozen=True)
class PageResult:
    page: BenchPage
    url: str
    status: int
    p50_ms: float
    p95_ms: float
    queries: int  # the most any timed request made

    @property
    def ok(self) -> bool:
        return self.status == self.page.expected_status


@dataclass(frozen=True)
class JobResult:
    job: BenchJob
    seconds: float
    peak_mib: float


def bench_pages() -> list[BenchPage]:
    return [page for _label, module in app_modules("bench") for page in getattr(module, "PAGES", [])]


def bench_jobs() -> list[BenchJob]:
    return [job for _label, module in app_modules("bench") for job in getattr(module, "JOBS", [])]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: always one of the measured values."""
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)) - 1, 0)]


def _allowed_host() -> str:
    # Outside the test environment the client's default "testserver" host is refused.
    host = next((host for host in settings.ALLOWED_HOSTS if host != "*"), "localhost")
    return host.lstrip(".")


def measure_page(page: BenchPage, ctx: BenchContext, *, requests: int = 50) -> PageResult:
    if page.setup:
        page.setup(ctx)
    url = page.url(ctx) if callable(page.url) else page.url
    # A server error becomes a 500 in the table (its traceback is logged) instead of ending the run.
    client = Client(raise_request_exception=False, HTTP_HOST=_allowed_host())
    if page.username:
        client.force_login(User.objects.get(username=page.username))
    send = getattr(client, page.method.lower())
    timings = []
    queries = 0
    status = page.expected_status
    # Templates then render without collectstatic; the manifest storage needs its manifest.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        # secure=True: production redirects plain HTTP, which would time the redirect instead.
        send(url, page.data, secure=True)  # warm-up: imports, template loading, connection set-up
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                started = perf_counter()
                response = send(url, page.data, secure=True)
                timings.append((perf_counter() - started) * 1000)
            queries = max(queries, len(captured))
            if response.status_code != page.expected_status:
                status = response.status_code  # one bad answer is enough to report the page
    return PageResult(
        page=page,
        url=url,
        status=status,
        p50_ms=percentile(timings, 50),
        p95_ms=percentile(timings, 95),
        queries=queries,
    )


def _peak_mib(run: Callable[[BenchContext], None], ctx: BenchContext) -> float:
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline, _peak = tracemalloc.get_traced_memory()
    try:
        run(ctx)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        if started_here:
            tracemalloc.stop()
    return (peak - baseline) / 2**20


def measure_job(job: BenchJob, ctx: BenchContext) -> JobResult:
    # Timed and traced in separate runs because tracemalloc slows Python down several times.
    # DEBUG off, as in production: with it on, Django keeps every query in memory.
    with override_settings(DEBUG=False):
        if job.setup:
            job.setup(ctx)
        started = perf_counter()
        job.run(ctx)
        seconds = perf_counter() - started
        if job.setup:
            job.setup(ctx)
        peak_mib = _peak_mib(job.run, ctx)
    return JobResult(job=job, seconds=seconds, peak_mib=peak_mib)


def midday_today():
    """Today at noon, local time. Jobs that send nothing in the quiet hours (after-sale messages,
    campaigns) are measured at this moment, whenever the bench runs."""
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


# --- the plumbing's own pages and jobs ----------------------------------------------------------


def _record_worker_heartbeat(ctx: BenchContext) -> None:
    # The bench runs no worker; a fresh heartbeat lets /healthz answer as in a healthy deployment.
    heartbeat_record(source="worker")


OUTBOX_MESSAGES = 2000
_OUTBOX_KEY_PREFIX = "bench:"


def _outbox_fill(ctx: BenchContext) -> None:
    # In bulk: message_enqueue row by row would take longer than the dispatch being measured.
    OutboxMessage.objects.filter(idempotency_key__startswith=_OUTBOX_KEY_PREFIX).delete()
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=Channel.SMS,
                recipient=f"+98912{index:07d}",
                body=f"Your order {index} has been shipped.",
                idempotency_key=f"{_OUTBOX_KEY_PREFIX}{index}",
                next_attempt_at=now,
            )
            for index in range(OUTBOX_MESSAGES)
        ],
        batch_size=500,
    )


def outbox_dispatch_all(ctx: BenchContext) -> None:
    # In-memory backends: the bench must neither reach a provider nor print thousands of messages.
    memory_backends = override_settings(
        SMS_BACKEND="crm_site.messaging.sms.LocmemSmsBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    sms_kept, mail_kept = len(sms.sent), len(getattr(mail, "outbox", []))
    with memory_backends:
        try:
            # Batch after batch, as the worker's self-requeuing task does; sent rows are not due again.
            while outbox_dispatch().claimed:
                pass
        finally:
            del sms.sent[sms_kept:]
            del getattr(mail, "outbox", [])[mail_kept:]


PAGES = [
    BenchPage("login", "/accounts/login/"),
    BenchPage("home", "/", "manager"),
    BenchPage("healthz", "/healthz", setup=_record_worker_heartbeat),
    BenchPage("notifications", "/notifications/", "manager"),
]

JOBS = [
    BenchJob("heartbeat", _record_worker_heartbeat),
    BenchJob(f"outbox dispatch ({OUTBOX_MESSAGES:,} SMS)", outbox_dispatch_all, setup=_outbox_fill),
]
