"""The service setup pages: who may use them, and that bad input writes nothing."""

from datetime import date, time

import pytest
from django.urls import reverse

from crm_site.access import Role
from service.models import AssignmentRule, BusinessCalendar, Holiday, Skill, SlaPolicy, TicketCategory, WorkingPeriod
from service.services.setup import category_save
from tests.factories import TeamFactory, UserFactory
from tests.service.factories import category

pytestmark = pytest.mark.django_db

SETUP_PAGES = [
    ("service:setup", []),
    ("service:setup_rules", []),
    ("service:setup_rule_create", []),
    ("service:setup_policies", []),
    ("service:setup_policy_create", []),
    ("service:setup_calendars", []),
    ("service:setup_calendar_create", []),
    ("service:setup_categories", []),
    ("service:setup_category_create", []),
    ("service:setup_skills", []),
    ("service:setup_skill_create", []),
    ("service:setup_canned_replies", []),
    ("service:setup_canned_reply_create", []),
    ("service:setup_articles", []),
    ("service:setup_article_create", []),
]


def default_calendar() -> BusinessCalendar:
    return BusinessCalendar.objects.get(is_default=True)


@pytest.mark.parametrize(("name", "args"), SETUP_PAGES)
@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_managers_and_admins_use_the_setup_pages(client_for, personas, persona, name, args):
    assert client_for(personas[persona]).get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), SETUP_PAGES)
@pytest.mark.parametrize("persona", ["agent", "rep", "contractor", "marketer"])
def test_others_are_refused_the_setup_pages(client_for, personas, persona, name, args):
    assert client_for(personas[persona]).get(reverse(name, args=args)).status_code == 403


def test_the_edit_pages_open_for_existing_rows(client_for, manager):
    rule = AssignmentRule.objects.create(name="Fixed", method="fixed")
    client = client_for(manager)
    for name, pk in [
        ("service:setup_rule_edit", rule.pk),
        ("service:setup_policy_edit", SlaPolicy.objects.first().pk),
        ("service:setup_calendar_edit", default_calendar().pk),
        ("service:setup_category_edit", category("Repairs").pk),
        ("service:setup_skill_edit", Skill.objects.first().pk),
    ]:
        assert client.get(reverse(name, args=[pk])).status_code == 200, name


def test_an_agent_cannot_change_the_setup(client_for, agent):
    response = client_for(agent).post(reverse("service:setup_rule_create"), {"name": "Mine", "method": "fixed"})
    assert response.status_code == 403
    assert not AssignmentRule.objects.exists()


def test_the_lists_take_a_constant_number_of_queries(client_for, manager, django_assert_max_num_queries):
    team = TeamFactory(name="Service")
    agents = [UserFactory(username=f"a{n}", role=Role.SERVICE_AGENT, team=team) for n in range(4)]
    client = client_for(manager)

    def measure(url_name):
        with django_assert_max_num_queries(14) as context:
            assert client.get(reverse(url_name)).status_code == 200
        return len(context.captured_queries)

    AssignmentRule.objects.create(name="One", method="round_robin", team=team).users.set(agents[:1])
    counts_one = {name: measure(name) for name in ("service:setup_rules", "service:setup_skills")}
    for n in range(5):
        AssignmentRule.objects.create(name=f"R{n}", method="fixed", category=category("Repairs")).users.set(agents)
        Skill.objects.create(name=f"Skill {n}").agents.set(agents)
    for name, count in counts_one.items():
        assert measure(name) == count, name
    for name in ("service:setup_policies", "service:setup_calendars", "service:setup_categories"):
        measure(name)


# --- assignment rules --------------------------------------------------------------------------


def test_a_manager_creates_edits_and_turns_off_a_rule(client_for, manager, agent):
    client = client_for(manager)
    response = client.post(
        reverse("service:setup_rule_create"),
        {"name": "Complaints", "order": 5, "is_active": "on", "category": category("Repairs").pk,
         "kinds": ["complaint"], "method": "fixed", "users": [agent.pk]},
    )  # fmt: skip
    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert (rule.kinds, list(rule.users.all()), rule.category) == (["complaint"], [agent], category("Repairs"))

    client.post(reverse("service:setup_rule_active", args=[rule.pk]), {"is_active": "0"})
    rule.refresh_from_db()
    assert not rule.is_active
    assert "Complaints" in client.get(reverse("service:setup_rules")).content.decode()


def test_a_round_robin_rule_without_agents_or_team_is_refused(client_for, manager):
    response = client_for(manager).post(
        reverse("service:setup_rule_create"), {"name": "Nobody", "order": 1, "method": "round_robin"}
    )
    assert response.status_code == 400
    assert "List the agents who take turns" in response.content.decode()
    assert not AssignmentRule.objects.exists()


# --- service-level policies --------------------------------------------------------------------


def policy_data(**overrides) -> dict:
    data = {
        "name": "VIP", "order": 1, "is_active": "on", "priority": "4", "first_response_hours": 1,
        "first_response_mins": 30, "resolution_hours": 8, "resolution_mins": 0, "warn_before_minutes": 15,
        "calendar": default_calendar().pk,
    }  # fmt: skip
    return {**data, **overrides}


def test_a_manager_creates_a_policy_in_hours_and_minutes(client_for, manager):
    response = client_for(manager).post(reverse("service:setup_policy_create"), policy_data())
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="VIP")
    assert (policy.priority, policy.first_response_minutes, policy.resolution_minutes) == (4, 90, 480)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_response_hours": 0, "first_response_mins": 0}, "at least one business minute"),
        ({"resolution_hours": 0, "resolution_mins": 30}, "cannot come before the first response"),
        ({"warn_before_minutes": 120}, "The warning must come before"),
    ],
)
def test_a_bad_policy_writes_nothing(client_for, manager, overrides, message):
    before = SlaPolicy.objects.count()
    response = client_for(manager).post(reverse("service:setup_policy_create"), policy_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SlaPolicy.objects.count() == before


# --- calendars and holidays --------------------------------------------------------------------


def week_data(**periods) -> dict:
    data = {"name": "Call centre", "timezone": "Asia/Tehran"}
    for key, value in periods.items():
        data[key] = value
    return data


def test_a_manager_creates_a_calendar_with_a_split_day(client_for, manager):
    response = client_for(manager).post(
        reverse("service:setup_calendar_create"),
        week_data(d5_1_start="08:00", d5_1_end="12:00", d5_2_start="13:00", d5_2_end="17:00",
                  d6_1_start="09:00", d6_1_end="17:00"),
    )  # fmt: skip
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Call centre")
    assert [(p.weekday, p.start, p.end) for p in calendar.periods.order_by("weekday", "start")] == [
        (5, time(8), time(12)),
        (5, time(13), time(17)),
        (6, time(9), time(17)),
    ]
    assert default_calendar().name == "Iranian week"  # the default stays where it was


def test_making_a_calendar_the_default_moves_the_default(client_for, manager):
    old = default_calendar()
    client_for(manager).post(
        reverse("service:setup_calendar_create"), week_data(is_default="on", d0_1_start="08:00", d0_1_end="16:00")
    )
    assert default_calendar().name == "Call centre"
    old.refresh_from_db()
    assert not old.is_default


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ({"d0_1_start": "16:00", "d0_1_end": "08:00"}, "ends before it starts"),
        ({"d0_1_start": "08:00", "d0_1_end": "13:00", "d0_2_start": "12:00", "d0_2_end": "17:00"}, "overlap"),
        ({"d0_1_start": "08:00"}, "give both from and to"),
        ({}, "at least one working period"),
    ],
)
def test_a_bad_week_writes_nothing(client_for, manager, periods, message):
    calendar = default_calendar()
    periods_before = list(calendar.periods.values_list("weekday", "start", "end"))
    response = client_for(manager).post(
        reverse("service:setup_calendar_edit", args=[calendar.pk]), week_data(is_default="on", **periods)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    calendar.refresh_from_db()
    assert calendar.name == "Iranian week"
    assert list(calendar.periods.values_list("weekday", "start", "end")) == periods_before


def test_holidays_are_added_once_and_removed(client_for, manager):
    calendar = default_calendar()
    client = client_for(manager)
    url = reverse("service:setup_holiday_add", args=[calendar.pk])

    assert client.post(url, {"date": "2026-08-10", "name": "Company day"}).status_code == 302
    holiday = Holiday.objects.get(calendar=calendar, date=date(2026, 8, 10))
    response = client.post(url, {"date": "2026-08-10", "name": "Again"})
    assert response.status_code == 400
    assert "already a holiday" in response.content.decode()
    assert Holiday.objects.filter(calendar=calendar, date=date(2026, 8, 10)).count() == 1

    client.post(reverse("service:setup_holiday_delete", args=[holiday.pk]))
    assert not Holiday.objects.filter(pk=holiday.pk).exists()


def test_holiday_pages_are_post_only(client_for, manager):
    assert (
        client_for(manager).get(reverse("service:setup_holiday_add", args=[default_calendar().pk])).status_code == 405
    )


# --- categories and skills ---------------------------------------------------------------------


def test_category_paths_are_kept_right_on_create_and_move(client_for, manager):
    client = client_for(manager)
    client.post(reverse("service:setup_category_create"), {"name": "Dryers", "parent": category("Repairs").pk})
    dryers = category("Dryers")
    assert (dryers.path, dryers.depth) == (f"{category('Repairs').path}{dryers.pk}/", 1)
    spare = category_save(category=TicketCategory(name="Spare parts", parent=dryers))
    assert spare.path == f"{dryers.path}{spare.pk}/"

    response = client.post(
        reverse("service:setup_category_edit", args=[dryers.pk]),
        {"name": "Dryers", "parent": category("Delivery").pk, "is_active": "on"},
    )
    assert response.status_code == 302
    dryers.refresh_from_db()
    spare.refresh_from_db()
    assert dryers.path == f"{category('Delivery').path}{dryers.pk}/"
    assert (spare.path, spare.depth) == (f"{dryers.path}{spare.pk}/", 2)


def test_a_category_cannot_move_under_itself(manager):
    repairs = category("Repairs")
    repairs.parent = category("Under warranty")
    with pytest.raises(Exception, match="cannot be moved under itself"):
        category_save(category=repairs)
    repairs.refresh_from_db()
    assert repairs.parent is None and repairs.path == f"{repairs.pk}/"


def test_a_duplicate_category_name_under_the_same_parent_is_refused(client_for, manager):
    response = client_for(manager).post(
        reverse("service:setup_category_create"), {"name": "Under warranty", "parent": category("Repairs").pk}
    )
    assert response.status_code == 400
    assert TicketCategory.objects.filter(name="Under warranty").count() == 1


def test_a_manager_gives_agents_a_skill(client_for, manager, agent):
    response = client_for(manager).post(
        reverse("service:setup_skill_create"), {"name": "Gas boilers", "agents": [agent.pk]}
    )
    assert response.status_code == 302
    assert list(Skill.objects.get(name="Gas boilers").agents.all()) == [agent]


def test_working_periods_table_is_untouched_by_a_refused_new_calendar(client_for, manager):
    before = WorkingPeriod.objects.count()
    client_for(manager).post(reverse("service:setup_calendar_create"), week_data(d0_1_start="10:00", d0_1_end="09:00"))
    assert WorkingPeriod.objects.count() == before
    assert not BusinessCalendar.objects.filter(name="Call centre").exists()
