"""The marketing app's periodic jobs (names of tasks as registered in marketing/tasks/)."""

from django.db import migrations

from crm_site.schedules import ensure_crontab_task, ensure_interval_task, remove_task

CAMPAIGNS = "marketing: start due campaign runs, restart stalled ones"
AUTOMATION = "marketing: automation rules (birthdays, no purchase, segments)"
EXPIRY = "marketing: expire loyalty points"
TIERS = "marketing: loyalty tiers (and points of paid orders missed)"
SEGMENTS = "marketing: recount segment sizes"


def install(apps, schema_editor):
    ensure_interval_task(apps, name=CAMPAIGNS, task="marketing.campaigns_run_due", every=1, period="minutes")
    ensure_crontab_task(
        apps, name=AUTOMATION, task="marketing.automation_daily", minute="0", hour="8", timezone="Asia/Tehran"
    )
    ensure_crontab_task(
        apps, name=EXPIRY, task="marketing.loyalty_expire_points", minute="30", hour="2", timezone="Asia/Tehran"
    )
    ensure_crontab_task(
        apps, name=TIERS, task="marketing.loyalty_refresh_tiers", minute="45", hour="2", timezone="Asia/Tehran"
    )
    ensure_crontab_task(
        apps, name=SEGMENTS, task="marketing.segments_recount", minute="15", hour="3", timezone="Asia/Tehran"
    )


def uninstall(apps, schema_editor):
    for name in (CAMPAIGNS, AUTOMATION, EXPIRY, TIERS, SEGMENTS):
        remove_task(apps, name=name)


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(install, uninstall)]
