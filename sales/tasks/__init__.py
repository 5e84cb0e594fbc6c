"""Background jobs of the sales app (Celery's autodiscovery imports this package).

Each task has an explicit name ("sales.<job>") that the beat schedules in
sales/migrations/0003_schedules.py refer to, so moving code between modules keeps schedules valid.
"""

from sales.tasks import activities, aftersale, leads, pipeline, quotes, suggestions  # noqa: F401
