"""python manage.py bench [--customers N] [--requests R] [--seed S] [--keep]

Seeds a benchmark database with ``seed_demo`` and prints the timings of the pages and jobs that
the apps register in their ``bench`` modules (see crm_site/bench.py).

The developer's database is never touched: the command picks the bench database (SQLite
``<VAR_DIR>/bench.sqlite3``, or ``<name>_bench`` on the PostgreSQL server) and runs itself again
in a child process whose DATABASE_URL points there, so nothing in the child can reach the
developer's data, whatever the code under test does.
"""

import os
import subprocess
import sys
from pathlib import Path
from time import perf_counter
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from crm_site.bench import BenchContext, JobResult, PageResult, bench_jobs, bench_pages, measure_job, measure_page
from crm_site.demo import DEMO_USERS
from crm_site.env import env_int
from crm_site.models import User

CHILD_FLAG = "CRM_BENCH_CHILD"


class Command(BaseCommand):
    help = "Seed a separate benchmark database and print page and job timings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, help="How many demo customers (default: $BENCH_CUSTOMERS, else 100000)."
        )
        parser.add_argument("--requests", type=int, default=50, help="Timed requests per page (default 50).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed for the demo data (default 1).")
        parser.add_argument("--keep", action="store_true", help="Reuse the bench database if it is already seeded.")

    def handle(self, *args, customers: int | None, requests: int, seed: int, keep: bool, **options):
        if customers is None:
            customers = env_int("BENCH_CUSTOMERS", 100_000)
        if customers < 0 or requests < 1:
            raise CommandError("--customers must be zero or more and --requests at least one.")
        if os.environ.get(CHILD_FLAG) == "1":
            self.run_bench(customers=customers, requests=requests, seed=seed)
        else:
            self.spawn(customers=customers, requests=requests, seed=seed, keep=keep)

    def spawn(self, *, customers: int, requests: int, seed: int, keep: bool) -> None:
        database_url = prepare_bench_database(keep=keep)
        connections.close_all()
        var_dir = settings.VAR_DIR / "bench"
        var_dir.mkdir(parents=True, exist_ok=True)
        # Its own VAR_DIR too, so that the file cache, broker queue and media stay apart from the
        # developer's (a task queued by a benchmarked page must not reach the developer's worker).
        env = {**os.environ, "DATABASE_URL": database_url, "VAR_DIR": str(var_dir), CHILD_FLAG: "1"}
        # Quieter unless asked: each forced login logs a line (axes) that would bury the table.
        env["LOG_LEVEL"] = os.environ.get("LOG_LEVEL", "WARNING")
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench"]
        command += [f"--customers={customers}", f"--requests={requests}", f"--seed={seed}"]
        self.stdout.flush()
        returncode = subprocess.run(command, env=env, check=False).returncode  # noqa: S603 (our own manage.py)
        if returncode:
            sys.exit(returncode)

    def run_bench(self, *, customers: int, requests: int, seed: int) -> None:
        name = str(settings.DATABASES["default"]["NAME"])
        if not name.endswith(("_bench", "bench.sqlite3")):
            raise CommandError(f"Refusing to seed {name!r}: run `manage.py bench` without {CHILD_FLAG}.")
        call_command("migrate", interactive=False, verbosity=0)
        if User.objects.filter(username__in=[row[0] for row in DEMO_USERS]).exists():
            seeding = "reused from an earlier run (--keep)"
        else:
            started = perf_counter()
            call_command("seed_demo", customers=customers, seed=seed)
            seeding = f"seeded in {perf_counter() - started:.1f}s"

        ctx = BenchContext(customers=customers, seed=seed)
        pages = [measure_page(page, ctx, requests=requests) for page in bench_pages()]
        jobs = [measure_job(job, ctx) for job in bench_jobs()]

        self.stdout.write("")
        self.stdout.write(f"Scale:    {customers:,} customers, seed {seed}, {requests} timed requests per page")
        self.stdout.write(f"Database: {connection.vendor} {name}, {seeding}")
        self.stdout.write("")
        for line in [*page_table(pages), "", *job_table(jobs)]:
            self.stdout.write(line)
        broken = [result.page.name for result in pages if not result.ok]
        if broken:
            raise CommandError(f"Unexpected status from: {', '.join(broken)}.")


def prepare_bench_database(*, keep: bool) -> str:
    """The DATABASE_URL of the bench database beside the developer's, emptied unless ``keep``."""
    if connection.vendor == "sqlite":
        path = Path(settings.VAR_DIR) / "bench.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if connection.vendor == "postgresql":
        name = f"{settings.DATABASES['default']['NAME']}_bench"
        quoted = connection.ops.quote_name(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            exists = cursor.fetchone() is not None
            # CREATE/DROP DATABASE take no parameters; the name is quoted as an identifier.
            if exists and not keep:
                cursor.execute(f"DROP DATABASE {quoted}")
            if not (exists and keep):
                cursor.execute(f"CREATE DATABASE {quoted}")
        return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + quote(name)))
    raise CommandError(f"The benchmark supports SQLite and PostgreSQL, not {connection.vendor}.")


def _table(header: list[str], rows: list[list[str]], *, left: int) -> list[str]:
    """Fixed-width columns: the first ``left`` aligned left (text), the rest right (numbers)."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        aligned = [
            cell.ljust(width) if index < left else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(aligned).rstrip()

    return [line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def page_table(results: list[PageResult]) -> list[str]:
    rows = [
        [
            result.page.name,
            f"{result.page.method} {result.url}",
            result.page.username or "anonymous",
            str(result.status) if result.ok else f"{result.status}!",
            f"{result.p50_ms:.1f}",
            f"{result.p95_ms:.1f}",
            str(result.queries),
        ]
        for result in results
    ]
    return _table(["page", "url", "user", "status", "p50 ms", "p95 ms", "queries"], rows, left=3)


def job_table(results: list[JobResult]) -> list[str]:
    rows = [[result.job.name, f"{result.seconds * 1000:.1f}", f"{result.peak_mib:.2f}"] for result in results]
    return _table(["job", "time ms", "peak MiB"], rows, left=1)
