"""What a fresh install needs to start serving: the Iranian business week as the default calendar
with the official holidays that fall on fixed solar dates, service-level policies by priority,
a few categories and skills, and the settings row. All editable later; holidays that follow the
lunar calendar move every year and are added by the administrator."""

import datetime

from django.db import migrations

# weekday (date.weekday(): Monday 0) -> working periods. Saturday to Wednesday all day, Thursday
# morning, Friday off.
WEEK = {
    5: [("08:00", "16:00")],
    6: [("08:00", "16:00")],
    0: [("08:00", "16:00")],
    1: [("08:00", "16:00")],
    2: [("08:00", "16:00")],
    3: [("08:00", "13:00")],
}
# Official holidays on fixed solar dates, as (day of the Iranian year counted from 1 Farvardin, name).
FIXED_HOLIDAYS = [
    (1, "Nowruz"),
    (2, "Nowruz"),
    (3, "Nowruz"),
    (4, "Nowruz"),
    (12, "Islamic Republic Day"),
    (13, "Nature Day"),
    (31 + 31 + 14, "Death of Imam Khomeini"),
    (31 + 31 + 15, "15 Khordad uprising"),
    (6 * 31 + 4 * 30 + 22, "Victory of the Islamic Revolution"),
    (6 * 31 + 5 * 30 + 29, "Nationalisation of the oil industry"),
]
# 1 Farvardin of the Iranian years 1405 and 1406 (both common years of 365 days).
NOWRUZ = [datetime.date(2026, 3, 21), datetime.date(2027, 3, 21)]

# name, priority (None: any), first response and resolution in business minutes
POLICIES = [
    ("Urgent", 4, 60, 8 * 60),
    ("High", 3, 2 * 60, 2 * 8 * 60),
    ("Normal", 2, 4 * 60, 3 * 8 * 60),
    ("Low", 1, 8 * 60, 5 * 8 * 60),
    ("Any other ticket", None, 4 * 60, 3 * 8 * 60),
]
SKILLS = ["Installation", "Repairs", "Billing", "Delivery"]
# name, children, skill the category needs
CATEGORIES = [
    ("Installation", [], "Installation"),
    ("Repairs", ["Under warranty", "Out of warranty"], "Repairs"),
    ("Billing and payments", [], "Billing"),
    ("Delivery", ["Late delivery", "Damaged on arrival"], "Delivery"),
    ("Product questions", [], None),
    ("Staff and service quality", [], None),
]


def install(apps, schema_editor):
    Calendar = apps.get_model("service", "BusinessCalendar")
    calendar, created = Calendar.objects.get_or_create(
        name="Iranian week", defaults={"timezone": "Asia/Tehran", "is_default": True}
    )
    if created:
        WorkingPeriod = apps.get_model("service", "WorkingPeriod")
        WorkingPeriod.objects.bulk_create(
            [
                WorkingPeriod(calendar=calendar, weekday=day, start=start, end=end)
                for day, periods in WEEK.items()
                for start, end in periods
            ]
        )
        Holiday = apps.get_model("service", "Holiday")
        Holiday.objects.bulk_create(
            [
                Holiday(calendar=calendar, date=nowruz + datetime.timedelta(days=day - 1), name=name)
                for nowruz in NOWRUZ
                for day, name in FIXED_HOLIDAYS
            ]
        )
    Policy = apps.get_model("service", "SlaPolicy")
    if not Policy.objects.exists():
        Policy.objects.bulk_create(
            [
                Policy(
                    name=name,
                    order=(10 * index) + 10,
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                    calendar=calendar,
                )
                for index, (name, priority, first, resolution) in enumerate(POLICIES)
            ]
        )
    Skill = apps.get_model("service", "Skill")
    skills = {name: Skill.objects.get_or_create(name=name)[0] for name in SKILLS}
    Category = apps.get_model("service", "TicketCategory")
    for name, children, skill in CATEGORIES:
        parent, created = Category.objects.get_or_create(
            name=name, parent=None, defaults={"path": "", "skill": skills.get(skill)}
        )
        if created:
            parent.path = f"{parent.pk}/"
            parent.save(update_fields=["path"])
        for child_name in children:
            child, created = Category.objects.get_or_create(
                name=child_name, parent=parent, defaults={"path": "", "depth": 1, "skill": skills.get(skill)}
            )
            if created:
                child.path = f"{parent.path}{child.pk}/"
                child.save(update_fields=["path"])
    apps.get_model("service", "ServiceSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
