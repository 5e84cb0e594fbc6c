"""The service app's periodic jobs (names of tasks as registered in service/tasks/)."""

from django.db import migrations

from crm_site.schedules import ensure_interval_task, remove_task

NAME = "service: SLA warnings and escalations"


def install(apps, schema_editor):
    ensure_interval_task(apps, name=NAME, task="service.check_sla", every=1, period="minutes")


def uninstall(apps, schema_editor):
    remove_task(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("service", "0002_defaults"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(install, uninstall)]
