"""Helpers for data migrations that install django-celery-beat schedules.

Schedules live in the database so that an administrator can change them in the admin; each app
adds its periodic jobs with a data migration that calls these helpers with the historical
``apps`` registry.
"""


def ensure_interval_task(apps, *, name: str, task: str, every: int, period: str = "minutes", queue: str = "") -> None:
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _created = IntervalSchedule.objects.get_or_create(every=every, period=period)
    PeriodicTask.objects.update_or_create(
        name=name,
        defaults={"task": task, "interval": interval, "crontab": None, "queue": queue or None, "enabled": True},
    )


def ensure_crontab_task(
    apps, *, name: str, task: str, minute: str = "0", hour: str = "*", day_of_week: str = "*", timezone: str = "UTC"
) -> None:
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=minute, hour=hour, day_of_week=day_of_week, day_of_month="*", month_of_year="*", timezone=timezone
    )
    PeriodicTask.objects.update_or_create(
        name=name, defaults={"task": task, "crontab": crontab, "interval": None, "enabled": True}
    )


def remove_task(apps, *, name: str) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()
