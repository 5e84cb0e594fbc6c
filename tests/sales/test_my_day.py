""" "My day": overdue, today and upcoming by the local (Tehran) calendar, and reminder preferences."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sales.models import Activity
from sales.selectors.activities import my_day
from tests.factories import CustomerFactory
from tests.sales.factories import ActivityFactory, LeadFactory, OpportunityFactory

TEHRAN = ZoneInfo("Asia/Tehran")


def sections_of(user, now) -> dict[str, list[str]]:
    return {section.key: [a.subject for a in section.activities] for section in my_day(user=user, now=now)}


@pytest.mark.django_db
def test_sections_follow_the_local_day_just_after_midnight(rep):
    # 00:10 on 11 March in Tehran is still 10 March in UTC (20:40): the local day must win.
    now = datetime(2026, 3, 11, 0, 10, tzinfo=TEHRAN)
    local = {
        "yesterday 23:50": datetime(2026, 3, 10, 23, 50, tzinfo=TEHRAN),
        "today 00:05": datetime(2026, 3, 11, 0, 5, tzinfo=TEHRAN),
        "today 23:59": datetime(2026, 3, 11, 23, 59, tzinfo=TEHRAN),
        "tomorrow 00:00": datetime(2026, 3, 12, 0, 0, tzinfo=TEHRAN),
        "in 7 days": datetime(2026, 3, 18, 23, 0, tzinfo=TEHRAN),
        "in 8 days": datetime(2026, 3, 19, 9, 0, tzinfo=TEHRAN),
    }
    for subject, due_at in local.items():
        ActivityFactory(assignee=rep, subject=subject, due_at=due_at)
    ActivityFactory(assignee=rep, subject="done", due_at=now, status=Activity.Status.DONE)
    with time_machine.travel(now, tick=False):
        sections = sections_of(rep, None)
    assert sections == {
        "overdue": ["yesterday 23:50"],
        "today": ["today 00:05", "today 23:59"],
        "upcoming": ["tomorrow 00:00", "in 7 days"],
    }


@pytest.mark.django_db
def test_sections_just_before_midnight(rep):
    now = datetime(2026, 3, 10, 23, 55, tzinfo=TEHRAN)
    ActivityFactory(assignee=rep, subject="earlier today", due_at=datetime(2026, 3, 10, 9, 0, tzinfo=TEHRAN))
    ActivityFactory(assignee=rep, subject="just after midnight", due_at=datetime(2026, 3, 11, 0, 1, tzinfo=TEHRAN))
    with time_machine.travel(now, tick=False):
        sections = sections_of(rep, None)
    # Due earlier today is "today", not overdue: overdue means before today.
    assert sections == {"overdue": [], "today": ["earlier today"], "upcoming": ["just after midnight"]}


@pytest.mark.django_db
def test_only_the_users_own_activities_and_capped(rep, rep2):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=TEHRAN)
    for _ in range(4):
        ActivityFactory(assignee=rep, due_at=now - timedelta(days=2))
    ActivityFactory(assignee=rep2, subject="theirs", due_at=now)
    sections = {section.key: section for section in my_day(user=rep, now=now, cap=3)}
    assert len(sections["overdue"].activities) == 3 and sections["overdue"].has_more
    assert sections["today"].activities == []


@pytest.mark.django_db
def test_page_renders_sections_with_constant_queries(client_for, rep, django_assert_max_num_queries):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=TEHRAN)
    client = client_for(rep)
    with time_machine.travel(now, tick=False):
        ActivityFactory(assignee=rep, subject="Call Sara", due_at=now - timedelta(days=1))
        with django_assert_max_num_queries(15) as few:
            response = client.get(reverse("sales:my_day"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Call Sara" in body and f"/sales/activities/{Activity.objects.get().pk}/done/?next=my_day" in body
        lead, opportunity = LeadFactory(owner=rep), OpportunityFactory(owner=rep)
        for day in range(-3, 8):
            for _ in range(3):
                ActivityFactory(
                    assignee=rep,
                    due_at=now + timedelta(days=day),
                    customer=CustomerFactory(owner=rep),
                    lead=lead,
                    opportunity=opportunity,
                )
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(reverse("sales:my_day"))
    assert sum(len(section.activities) for section in response.context["sections"]) == 1 + 3 * 11


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_my_day_is_for_sales_only(client_for, personas, persona):
    assert client_for(personas[persona]).get(reverse("sales:my_day")).status_code == 403
    assert client_for(personas[persona]).post(reverse("sales:reminder_channels"), {}).status_code == 403


@pytest.mark.django_db
def test_reminder_preferences_are_saved(client_for, rep):
    rep.phone = "+989121234567"
    rep.save()
    client = client_for(rep)
    assert client.get(reverse("sales:reminder_channels")).status_code == 405
    response = client.post(reverse("sales:reminder_channels"), {"remind_by_sms": "on"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.remind_by_email, rep.remind_by_sms) == (False, True)


@pytest.mark.django_db
def test_sms_reminders_need_a_phone(client_for, rep):
    rep.phone = ""
    rep.save()
    client_for(rep).post(reverse("sales:reminder_channels"), {"remind_by_sms": "on", "remind_by_email": "on"})
    rep.refresh_from_db()
    assert (rep.remind_by_email, rep.remind_by_sms) == (False, False)
