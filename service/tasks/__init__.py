"""Background jobs of the service app (Celery's autodiscovery imports this package).

Each task has an explicit name ("service.<job>") that the beat schedules in service/migrations/
refer to, so moving code between modules keeps schedules valid.
"""

from service.tasks import sla  # noqa: F401
