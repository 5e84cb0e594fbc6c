"""Activities: the services (schedule, complete with a timeline entry and a follow-up, cancel) and
their pages, for each role."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Interaction
from sales.models import Activity, Lead, Opportunity
from sales.services.activities import activity_complete, activity_create
from tests.factories import CustomerFactory
from tests.sales.factories import ActivityFactory, LeadFactory, OpportunityFactory

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TEHRAN)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def schedule(user, **kwargs) -> Activity:
    defaults = {
        "created_by": user,
        "assignee": user,
        "kind": Activity.Kind.CALL,
        "subject": "Call about the offer",
        "due_at": NOW + timedelta(hours=2),
    }
    if not {"customer", "lead", "opportunity"} & kwargs.keys():
        defaults["customer"] = CustomerFactory(owner=user)
    return activity_create(**{**defaults, **kwargs})


# --- services ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_fills_the_customer_from_the_opportunity(rep):
    opportunity = OpportunityFactory(owner=rep)
    activity = schedule(rep, opportunity=opportunity, remind_at=NOW + timedelta(hours=1))
    assert activity.customer == opportunity.customer
    assert activity.created_by == rep and activity.status == Activity.Status.OPEN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"remind_at": NOW + timedelta(hours=3)}, "remind_at"),  # after the due time
        ({"remind_at": NOW - timedelta(hours=1)}, "remind_at"),  # already past
        ({"subject": ""}, "subject"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(rep, changes, field):
    with pytest.raises(ValidationError) as error:
        schedule(rep, **changes)
    assert field in error.value.message_dict
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_create_needs_a_record(rep):
    with pytest.raises(ValidationError, match="customer, a lead or an opportunity"):
        activity_create(created_by=rep, assignee=rep, kind="task", subject="x", due_at=NOW)
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_create_refuses_a_customer_other_than_the_opportunitys(rep):
    with pytest.raises(ValidationError) as error:
        schedule(rep, opportunity=OpportunityFactory(owner=rep), customer=CustomerFactory(owner=rep))
    assert "customer" in error.value.message_dict
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_rep_assigns_only_to_themselves_and_manager_to_the_team(rep, rep2, manager, outsider_rep):
    with pytest.raises(ValidationError) as error:
        schedule(rep, assignee=rep2)
    assert "assignee" in error.value.message_dict
    assert schedule(manager, assignee=rep2).assignee == rep2
    with pytest.raises(ValidationError):
        schedule(manager, assignee=outsider_rep)
    assert Activity.objects.count() == 1


@pytest.mark.django_db
def test_completing_a_call_writes_one_timeline_entry_touches_records_and_schedules_a_follow_up(rep):
    lead = LeadFactory(owner=rep, status=Lead.Status.NEW)
    opportunity = OpportunityFactory(owner=rep, last_activity_at=NOW - timedelta(days=10))
    activity = schedule(rep, opportunity=opportunity, lead=lead)
    follow_up = {"subject": "Send the quote", "due_at": NOW + timedelta(days=2), "remind_at": NOW + timedelta(days=1)}
    done = activity_complete(
        activity=activity,
        by=rep,
        outcome=Interaction.Outcome.CALL_BACK,
        direction=Interaction.Direction.OUTBOUND,
        duration_seconds=300,
        notes="Wants a quote",
        follow_up=follow_up,
    )
    assert done.status == Activity.Status.DONE and done.done_at == NOW
    entry = Interaction.objects.get()
    assert done.interaction == entry
    assert (entry.kind, entry.customer, entry.outcome, entry.duration_seconds) == (
        Interaction.Kind.CALL,
        opportunity.customer,
        Interaction.Outcome.CALL_BACK,
        300,
    )
    assert entry.direction == Interaction.Direction.OUTBOUND and entry.body == "Wants a quote"
    next_one = Activity.objects.get(follow_up_of=done)
    assert (next_one.subject, next_one.assignee, next_one.opportunity) == ("Send the quote", rep, opportunity)
    assert next_one.remind_at == follow_up["remind_at"] and next_one.status == Activity.Status.OPEN
    lead.refresh_from_db()
    opportunity.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED and lead.last_contacted_at == NOW
    assert opportunity.last_activity_at == NOW

    with pytest.raises(ValidationError, match="no longer open"):
        activity_complete(activity=activity, by=rep, outcome=Interaction.Outcome.ANSWERED)
    assert Interaction.objects.count() == 1
    assert Activity.objects.filter(follow_up_of=done).count() == 1


@pytest.mark.django_db
def test_a_bad_follow_up_leaves_the_activity_open(rep):
    activity = schedule(rep)
    with pytest.raises(ValidationError) as error:
        activity_complete(
            activity=activity,
            by=rep,
            outcome=Interaction.Outcome.ANSWERED,
            follow_up={"subject": "x", "due_at": NOW + timedelta(days=1), "remind_at": NOW + timedelta(days=2)},
        )
    assert "follow_up_remind_at" in error.value.message_dict
    activity.refresh_from_db()
    assert activity.status == Activity.Status.OPEN
    assert not Interaction.objects.exists() and Activity.objects.count() == 1


@pytest.mark.django_db
def test_completing_a_task_writes_no_timeline_entry(rep):
    activity_complete(activity=schedule(rep, kind=Activity.Kind.TASK), by=rep, outcome="answered")
    assert not Interaction.objects.exists()


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_own_activities_only_for_a_rep_and_the_teams_for_a_manager(client_for, rep, rep2, manager):
    mine, theirs = ActivityFactory(assignee=rep, subject="Mine"), ActivityFactory(assignee=rep2, subject="Theirs")
    page = client_for(rep).get(reverse("sales:activity_list"))
    assert page.status_code == 200
    assert list(page.context["page_obj"]) == [mine]
    page = client_for(manager).get(reverse("sales:activity_list"))
    assert set(page.context["page_obj"]) == {mine, theirs}
    page = client_for(manager).get(reverse("sales:activity_list"), {"assignee": "mine"})
    assert list(page.context["page_obj"]) == []


@pytest.mark.django_db
def test_list_filters_overdue(client_for, rep):
    late = ActivityFactory(assignee=rep, due_at=NOW - timedelta(days=2))
    ActivityFactory(assignee=rep, due_at=NOW + timedelta(hours=1))
    page = client_for(rep).get(reverse("sales:activity_list"), {"overdue": "true"})
    assert list(page.context["page_obj"]) == [late]


@pytest.mark.django_db
def test_list_query_count_is_constant(client_for, rep, django_assert_max_num_queries):
    lead, opportunity = LeadFactory(owner=rep), OpportunityFactory(owner=rep)
    ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep))
    client = client_for(rep)
    with django_assert_max_num_queries(12) as one_row:
        client.get(reverse("sales:activity_list"))
    for _ in range(20):
        ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep), lead=lead, opportunity=opportunity)
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        page = client.get(reverse("sales:activity_list"))
    assert len(page.context["page_obj"]) == 21


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_are_refused(client_for, personas, rep, persona):
    activity = ActivityFactory(assignee=rep)
    client = client_for(personas[persona])
    for url in (
        reverse("sales:my_day"),
        reverse("sales:activity_list"),
        reverse("sales:activity_create"),
        reverse("sales:activity_detail", args=[activity.pk]),
        reverse("sales:activity_complete", args=[activity.pk]),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["activity_detail", "activity_edit", "activity_complete"])
def test_rep_cannot_reach_another_reps_activity(client_for, rep, rep2, outsider_rep, name):
    client = client_for(rep)
    for other in (rep2, outsider_rep):
        activity = ActivityFactory(assignee=other)
        assert client.get(reverse(f"sales:{name}", args=[activity.pk])).status_code == 404


@pytest.mark.django_db
def test_detail_for_the_assignee_and_their_manager(client_for, rep, manager, django_assert_max_num_queries):
    activity = ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep), lead=LeadFactory(owner=rep))
    ActivityFactory(assignee=rep, follow_up_of=activity)
    client = client_for(rep)
    with django_assert_max_num_queries(12) as one:
        assert client.get(reverse("sales:activity_detail", args=[activity.pk])).status_code == 200
    for _ in range(5):
        ActivityFactory(assignee=rep, follow_up_of=activity)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("sales:activity_detail", args=[activity.pk]))
    assert client_for(manager).get(reverse("sales:activity_detail", args=[activity.pk])).status_code == 200


@pytest.mark.django_db
def test_create_page_prefills_a_visible_customer_and_refuses_an_invisible_one(client_for, rep, rep2):
    client = client_for(rep)
    customer = CustomerFactory(owner=rep)
    page = client.get(reverse("sales:activity_create"), {"customer": customer.pk})
    assert page.status_code == 200 and page.context["form"].initial["customer"] == customer.pk
    assert client.get(reverse("sales:activity_create"), {"customer": CustomerFactory(owner=rep2).pk}).status_code == 404
    opportunity = OpportunityFactory(owner=rep2)
    assert client.get(reverse("sales:activity_create"), {"opportunity": opportunity.pk}).status_code == 404
    assignees = list(page.context["form"].fields["assignee"].queryset)
    assert assignees == [rep]


@pytest.mark.django_db
def test_create_through_the_page_reads_local_times(client_for, rep):
    opportunity = OpportunityFactory(owner=rep)
    response = client_for(rep).post(
        reverse("sales:activity_create") + f"?opportunity={opportunity.pk}",
        {
            "kind": "meeting",
            "subject": "Demo",
            "due_at": "2026-03-11T09:30",
            "remind_at": "2026-03-11T09:00",
            "assignee": rep.pk,
            "opportunity": opportunity.pk,
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse("sales:activity_detail", args=[activity.pk])
    assert activity.due_at == datetime(2026, 3, 11, 9, 30, tzinfo=TEHRAN)
    assert activity.customer == opportunity.customer


@pytest.mark.django_db
def test_create_through_the_page_with_bad_input_writes_nothing(client_for, rep, rep2):
    customer = CustomerFactory(owner=rep)
    response = client_for(rep).post(
        reverse("sales:activity_create"),
        {
            "kind": "call",
            "subject": "Call",
            "due_at": "2026-03-11T09:30",
            "remind_at": "2026-03-12T09:00",
            "assignee": rep.pk,
            "customer_code": customer.code,
        },
    )
    assert response.status_code == 200
    assert "remind_at" in response.context["form"].errors
    response = client_for(rep).post(
        reverse("sales:activity_create"),
        {"kind": "call", "subject": "Call", "due_at": "2026-03-11T09:30", "assignee": rep2.pk, "customer_code": "X"},
    )
    assert {"assignee", "customer_code"} <= response.context["form"].errors.keys()
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_complete_page_logs_the_call_and_schedules_the_follow_up(client_for, rep):
    activity = ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep))
    client = client_for(rep)
    assert client.get(reverse("sales:activity_complete", args=[activity.pk])).status_code == 200
    data = {
        "outcome": "answered",
        "direction": "out",
        "duration_minutes": "4",
        "notes": "Interested",
        "follow_up": "on",
        "follow_up_kind": "call",
        "follow_up_subject": "Call again",
        "follow_up_due_at": "2026-03-12T10:00",
        "next": "my_day",
    }
    response = client.post(reverse("sales:activity_complete", args=[activity.pk]), data)
    assert response.status_code == 302 and response.url == reverse("sales:my_day")
    activity.refresh_from_db()
    assert activity.status == Activity.Status.DONE and activity.duration_seconds == 240
    assert Interaction.objects.filter(customer=activity.customer, kind="call").count() == 1
    assert Activity.objects.get(follow_up_of=activity).due_at == datetime(2026, 3, 12, 10, 0, tzinfo=TEHRAN)
    # A second submit (double click) neither logs again nor schedules again.
    response = client.post(reverse("sales:activity_complete", args=[activity.pk]), data)
    assert response.status_code == 302
    assert Interaction.objects.count() == 1 and Activity.objects.count() == 2


@pytest.mark.django_db
def test_complete_page_needs_a_due_time_for_the_follow_up(client_for, rep):
    activity = ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep))
    response = client_for(rep).post(
        reverse("sales:activity_complete", args=[activity.pk]), {"outcome": "answered", "follow_up": "on"}
    )
    assert response.status_code == 200 and "follow_up_due_at" in response.context["form"].errors
    activity.refresh_from_db()
    assert activity.status == Activity.Status.OPEN and Activity.objects.count() == 1


@pytest.mark.django_db
def test_edit_and_cancel(client_for, rep, rep2):
    activity = ActivityFactory(assignee=rep, customer=CustomerFactory(owner=rep))
    client = client_for(rep)
    response = client.post(
        reverse("sales:activity_edit", args=[activity.pk]),
        {
            "kind": "task",
            "subject": "Renamed",
            "due_at": "2026-03-13T08:00",
            "assignee": rep.pk,
            "customer_code": activity.customer.code,
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.subject, activity.kind) == ("Renamed", "task")
    assert client.get(reverse("sales:activity_cancel", args=[activity.pk])).status_code == 405
    assert client.post(reverse("sales:activity_cancel", args=[activity.pk])).status_code == 302
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CANCELLED
    other = ActivityFactory(assignee=rep2)
    assert client.post(reverse("sales:activity_cancel", args=[other.pk])).status_code == 404
    assert Activity.objects.get(pk=other.pk).status == Activity.Status.OPEN


@pytest.mark.django_db
def test_customer_panel_shows_visible_open_activities_with_fixed_queries(
    client_for, rep, rep2, django_assert_max_num_queries
):
    customer = CustomerFactory(owner=rep)
    late = ActivityFactory(assignee=rep, customer=customer, subject="Late one", due_at=NOW - timedelta(days=1))
    ActivityFactory(assignee=rep2, customer=customer, subject="Not for rep")
    ActivityFactory(assignee=rep, customer=customer, subject="Done one", status=Activity.Status.DONE)
    client = client_for(rep)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    panel = next(p for p in response.context["panels"] if p.panel.key == "activities")
    assert panel.context["activities"] == [late]
    body = response.content.decode()
    assert "Late one" in body and "Not for rep" not in body
    assert f"/sales/activities/new/?customer={customer.pk}" in body
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("customers:detail", args=[customer.pk]))
    for _ in range(10):
        ActivityFactory(assignee=rep, customer=customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customers:detail", args=[customer.pk]))


@pytest.mark.django_db
def test_opportunity_model_is_touched_only_through_update(rep):
    # The completion writes last_activity_at with a single UPDATE (no save() that could clobber
    # a concurrent stage move).
    opportunity = OpportunityFactory(owner=rep, last_activity_at=NOW - timedelta(days=3), stage_entered_at=NOW)
    activity = schedule(rep, opportunity=opportunity, kind=Activity.Kind.TASK)
    activity_complete(activity=activity, by=rep)
    assert Opportunity.objects.get(pk=opportunity.pk).last_activity_at == NOW


@pytest.mark.django_db
def test_edit_and_complete_pages_render_for_each_kind(client_for, rep):
    client = client_for(rep)
    for kind in Activity.Kind.values:
        activity = ActivityFactory(assignee=rep, kind=kind, customer=CustomerFactory(owner=rep))
        edit = client.get(reverse("sales:activity_edit", args=[activity.pk]))
        assert edit.status_code == 200 and edit.context["form"].initial["customer_code"] == activity.customer.code
        complete = client.get(reverse("sales:activity_complete", args=[activity.pk]))
        assert complete.status_code == 200
        assert ("outcome" in complete.context["form"].fields) == (kind == Activity.Kind.CALL)
    partial = client.get(reverse("sales:activity_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activity-results")
    assert partial.status_code == 200 and b"<table" in partial.content and b"<html" not in partial.content


@pytest.mark.django_db
def test_completing_an_activity_on_a_lead_rescores_it_for_engagement(rep):
    from sales.models import ScoringRule

    ScoringRule.objects.create(criterion=ScoringRule.Criterion.ACTIVITIES_AT_LEAST, threshold=1, points=15)
    lead = LeadFactory(owner=rep, score=0)
    activity_complete(activity=schedule(rep, lead=lead), by=rep, outcome=Interaction.Outcome.ANSWERED)
    lead.refresh_from_db()
    assert lead.score == 15
