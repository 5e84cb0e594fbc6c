"""Background jobs of the marketing app (Celery's autodiscovery imports this package).

Each task has an explicit name ("marketing.<job>") that the beat schedules in marketing/migrations/
refer to, so moving code between modules keeps schedules valid.
"""

from marketing.tasks import automation, campaigns, loyalty, segments  # noqa: F401
