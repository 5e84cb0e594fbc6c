"""The plumbing's periodic jobs: the worker heartbeat and the outbox dispatcher, every minute."""

from django.db import migrations

from crm_site.schedules import ensure_interval_task, remove_task

TASKS = [
    ("crm: worker heartbeat", "crm_site.tasks.heartbeat"),
    ("crm: dispatch outbox", "crm_site.tasks.dispatch_outbox"),
]


def install(apps, schema_editor):
    for name, task in TASKS:
        ensure_interval_task(apps, name=name, task=task, every=1, period="minutes")


def uninstall(apps, schema_editor):
    for name, _task in TASKS:
        remove_task(apps, name=name)


class Migration(migrations.Migration):
    dependencies = [("crm_site", "0002_roles"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(install, uninstall)]
