"""The sales app's periodic jobs (names of tasks as registered in sales/tasks/)."""

from django.db import migrations

from crm_site.schedules import ensure_crontab_task, ensure_interval_task, remove_task

INTERVAL_TASKS = [
    # name, task, every, period
    ("sales: send due reminders", "sales.send_due_reminders", 1, "minutes"),
    ("sales: after-sale thank-you and survey messages", "sales.send_after_sale_messages", 5, "minutes"),
    ("sales: remind owners of rotting opportunities", "sales.remind_rotting_opportunities", 1, "hours"),
]
NIGHTLY = ("sales: refresh product suggestions", "sales.refresh_suggestions")


def install(apps, schema_editor):
    for name, task, every, period in INTERVAL_TASKS:
        ensure_interval_task(apps, name=name, task=task, every=every, period=period)
    ensure_crontab_task(apps, name=NIGHTLY[0], task=NIGHTLY[1], minute="30", hour="2", timezone="Asia/Tehran")


def uninstall(apps, schema_editor):
    for name, *_rest in INTERVAL_TASKS:
        remove_task(apps, name=name)
    remove_task(apps, name=NIGHTLY[0])


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_defaults"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(install, uninstall)]
