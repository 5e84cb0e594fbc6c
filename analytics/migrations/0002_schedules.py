"""The analytics app's periodic job: the nightly computation (task registered in analytics/tasks.py).

03:00 local time: after the night's jobs that feed it — loyalty points expiry (02:30), product
suggestions (02:30, the co-purchase counts basket analysis reads) and loyalty tiers (02:45) — and
before the segment recount (03:15), so that segments on RFM, Pareto class, lifetime value or churn
risk count with the night's figures; long before the working day.
"""

from django.db import migrations

from crm_site.schedules import ensure_crontab_task, remove_task

NIGHTLY = "analytics: nightly computation (lifetime value, RFM, Pareto, churn, reports)"


def install(apps, schema_editor):
    ensure_crontab_task(
        apps, name=NIGHTLY, task="analytics.compute_nightly", minute="0", hour="3", timezone="Asia/Tehran"
    )


def uninstall(apps, schema_editor):
    remove_task(apps, name=NIGHTLY)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(install, uninstall)]
