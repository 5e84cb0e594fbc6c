"""Mark quotes past their "valid until" date as expired, every night."""

from django.db import migrations

from crm_site.schedules import ensure_crontab_task, remove_task

NAME = "sales: expire quotes past their date"


def install(apps, schema_editor):
    ensure_crontab_task(apps, name=NAME, task="sales.expire_quotes", minute="5", hour="0", timezone="Asia/Tehran")


def uninstall(apps, schema_editor):
    remove_task(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_lead_assignment_blank_and_board_indexes")]
    operations = [migrations.RunPython(install, uninstall)]
