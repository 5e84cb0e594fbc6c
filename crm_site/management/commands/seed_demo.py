"""python manage.py seed_demo --customers N --seed S: reproducible demo data, in bulk."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from crm_site.demo import DEMO_USERS, DemoContext, demo_parts
from crm_site.models import User


class Command(BaseCommand):
    help = "Fill an empty database with reproducible demo data (teams, one user per role, and each app's part)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=200, help="How many demo customers (default 200).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")

    def handle(self, *args, customers: int, seed: int, **options):
        if customers < 0:
            raise CommandError("--customers must be zero or more.")
        if User.objects.filter(username__in=[row[0] for row in DEMO_USERS]).exists():
            self.stdout.write("Demo data is already present; nothing to do.")
            return
        ctx = DemoContext(seed=seed, customers=customers)
        started = time.perf_counter()
        with transaction.atomic():
            for label, seed_part in demo_parts():
                part_started = time.perf_counter()
                seed_part(ctx)
                self.stdout.write(f"  {label}: {time.perf_counter() - part_started:.2f}s")
        # Bulk inserts leave the query planner's statistics stale until autovacuum (PostgreSQL)
        # or never (SQLite) gathers them: gather them now, so the first pages get good plans.
        if connection.vendor in {"postgresql", "sqlite"}:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Demo data created in {time.perf_counter() - started:.1f}s."))
        for line in ctx.summary:
            self.stdout.write(line)
