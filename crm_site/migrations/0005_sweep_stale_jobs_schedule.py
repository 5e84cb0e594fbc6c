"""Hourly sweep of imports and exports whose worker died."""

from django.db import migrations

from crm_site.schedules import ensure_interval_task, remove_task

NAME = "crm: fail stale imports and exports"


def install(apps, schema_editor):
    ensure_interval_task(apps, name=NAME, task="crm_site.tasks.sweep_stale_jobs", every=1, period="hours")


def uninstall(apps, schema_editor):
    remove_task(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("crm_site", "0004_datajob")]
    operations = [migrations.RunPython(install, uninstall)]
