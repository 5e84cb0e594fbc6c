"""What a fresh install needs to start selling: a default pipeline with its stages, the managed
lists of loss and disqualification reasons, and the sales settings row. All editable later."""

from django.db import migrations

# name, kind, win probability (%), rots after (days)
STAGES = [
    ("New", "open", 10, 14),
    ("Qualified", "open", 25, 14),
    ("Proposal", "open", 50, 10),
    ("Negotiation", "open", 75, 7),
    ("Won", "won", 100, None),
    ("Lost", "lost", 0, None),
]
LOSS_REASONS = ["Price too high", "Chose a competitor", "No budget", "Bad timing", "No decision", "Product did not fit"]
DISQUALIFY_REASONS = ["No budget", "Not a decision maker", "Outside our market", "Unreachable", "Spam or test"]


def install(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    pipeline, created = Pipeline.objects.get_or_create(name="Sales", defaults={"is_default": True})
    if created:
        Stage.objects.bulk_create(
            [
                Stage(pipeline=pipeline, name=name, kind=kind, probability=probability, rot_days=rot, order=order)
                for order, (name, kind, probability, rot) in enumerate(STAGES)
            ]
        )
    for name in LOSS_REASONS:
        apps.get_model("sales", "LossReason").objects.get_or_create(name=name)
    for name in DISQUALIFY_REASONS:
        apps.get_model("sales", "DisqualifyReason").objects.get_or_create(name=name)
    apps.get_model("sales", "SalesSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
