"""The lifetime-value list ranked by prediction orders by clv_predicted DESC NULLS LAST; on
PostgreSQL an index in that order serves it. SQLite cannot index NULLS LAST (and its small
databases do not need it), so the index is made on PostgreSQL only."""

from django.db import migrations

INDEX = "value_clv_predicted_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("analytics", "CustomerValue")._meta.db_table
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} (clv_predicted DESC NULLS LAST, customer_id DESC)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_schedules")]
    operations = [migrations.RunPython(create, drop)]
