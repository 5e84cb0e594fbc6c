"""The analytics setup pages: the computation's runs (progress, step timings, "recompute now" one
at a time) and the settings with the ticket costs (bad input writes nothing)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from analytics.models import AnalyticsSettings, ComputeRun, ReportSnapshot, TicketCost
from service.models import Ticket, TicketCategory
from tests.service.factories import category

pytestmark = pytest.mark.django_db

SETUP_URLS = ["analytics:runs", "analytics:settings"]


def run(**fields) -> ComputeRun:
    fields.setdefault("status", ComputeRun.Status.DONE)
    if fields["status"] in (ComputeRun.Status.DONE, ComputeRun.Status.FAILED):
        fields.setdefault("active", None)
    return ComputeRun.objects.create(**fields)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", SETUP_URLS)
def test_setup_pages_are_for_managers_and_admins(url_name, personas, client_for):
    for name, user in personas.items():
        status = client_for(user).get(reverse(url_name)).status_code
        assert status == (200 if name in {"admin", "manager"} else 403), (name, status)


def test_only_managers_and_admins_may_ask_for_a_computation(personas, client_for):
    for name in ("rep", "marketer", "agent", "contractor"):
        assert client_for(personas[name]).post(reverse("analytics:run_request")).status_code == 403
    assert not ComputeRun.objects.exists()


# --- runs ----------------------------------------------------------------------------------------


def test_the_runs_page_shows_the_latest_run_with_the_time_each_step_took(client_for, manager):
    started = timezone.now() - datetime.timedelta(minutes=5)
    run(started_at=started - datetime.timedelta(days=1), finished_at=started - datetime.timedelta(days=1))
    latest = run(
        requested_by=manager,
        progress=100,
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=42.5),
        steps=[
            {"name": "Transactions", "seconds": 10.0, "rows": 1_000_000},
            {"name": "Model fit", "seconds": 30.0, "rows": 100_000},
            {"name": "Snapshots", "seconds": 2.5},
        ],
    )
    response = client_for(manager).get(reverse("analytics:runs"))
    assert response.status_code == 200
    assert response.context["latest"] == latest
    page = response.content.decode()
    steps = page[page.index('data-testid="steps"') :]
    assert "Model fit" in steps and "1,000,000" in steps and "30.0 s" in steps
    assert [step.share for step in response.context["steps"]] == [23.5, 70.6, 5.9]
    assert "42.5 s" in page[page.index('data-testid="duration"') :]
    assert str(manager) in page and "Nightly schedule" in page
    assert response.context["page_obj"].paginator.count == 2


def test_the_runs_list_is_paginated_with_a_fixed_query_count(client_for, admin, django_assert_max_num_queries):
    for _ in range(25):
        run(requested_by=admin)
    client = client_for(admin)
    client.get(reverse("analytics:runs"))
    with django_assert_max_num_queries(8):
        first = client.get(reverse("analytics:runs"))
    with django_assert_max_num_queries(9):
        second = client.get(reverse("analytics:runs"), {"page": 2})
    assert len(first.context["page_obj"].object_list) == 20 and len(second.context["page_obj"].object_list) == 5
    assert first.context["latest"] == second.context["latest"] == ComputeRun.objects.first()


def test_an_active_run_polls_its_progress_until_it_finishes(client_for, manager):
    active = run(status=ComputeRun.Status.RUNNING, progress=40, step="Fitting the models", started_at=timezone.now())
    client = client_for(manager)
    page = client.get(reverse("analytics:runs")).content.decode()
    progress_url = reverse("analytics:run_progress", args=[active.pk])
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 2s"' in page
    assert "Fitting the models" in page and 'aria-valuenow="40"' in page
    assert "disabled" in page[page.index('data-testid="recompute"') :].split(">")[0]
    # Still running: the partial again, still polling.
    partial = client.get(progress_url, headers={"HX-Request": "true", "HX-Target": f"run-progress-{active.pk}"})
    assert 'hx-trigger="every 2s"' in partial.content.decode() and "HX-Refresh" not in partial
    # Finished: the page reloads to show the outcome.
    ComputeRun.objects.filter(pk=active.pk).update(status=ComputeRun.Status.DONE, active=None, progress=100)
    partial = client.get(progress_url, headers={"HX-Request": "true", "HX-Target": f"run-progress-{active.pk}"})
    assert partial["HX-Refresh"] == "true" and "hx-trigger" not in partial.content.decode()
    assert client.get(reverse("analytics:run_progress", args=[active.pk + 99])).status_code == 404


def test_a_failed_run_shows_its_error(client_for, admin):
    run(status=ComputeRun.Status.FAILED, error="MemoryError: the fit ran out of memory", progress=60)
    page = client_for(admin).get(reverse("analytics:runs")).content.decode()
    assert "MemoryError: the fit ran out of memory" in page and "bg-danger" in page


def test_recompute_now_queues_one_run_and_a_second_request_is_told_to_wait(client_for, manager):
    client = client_for(manager)
    response = client.post(reverse("analytics:run_request"))
    assert response.status_code == 302 and response.url == reverse("analytics:runs")
    assert "being recomputed" in messages_of(response)[0]
    # The worker gets the run after the request's transaction commits, which a test never does:
    # the run is still queued when the manager presses the button again.
    requested = ComputeRun.objects.get()
    assert (requested.requested_by, requested.status, requested.active) == (manager, ComputeRun.Status.QUEUED, True)
    response = client.post(reverse("analytics:run_request"))
    assert response.status_code == 302
    assert ComputeRun.objects.count() == 1
    assert messages_of(response)[-1] == "The figures are already being computed. Wait for that run to finish."


def test_a_run_already_active_becomes_a_message_not_an_error(client_for, admin):
    run(status=ComputeRun.Status.QUEUED)
    response = client_for(admin).post(reverse("analytics:run_request"), follow=True)
    assert response.status_code == 200
    assert ComputeRun.objects.count() == 1
    assert response.context["messages"] and 'class="alert alert-warning' in response.content.decode()


def test_recompute_now_needs_a_post(client_for, admin):
    assert client_for(admin).get(reverse("analytics:run_request")).status_code == 405


# --- settings ------------------------------------------------------------------------------------


def _settings_data(**overrides) -> dict:
    data = {
        "settings-annual_discount_rate": "12.5",
        "settings-horizon_months": "24",
        "settings-inactive_days": "120",
        "settings-cost_per_order": "15000",
        "settings-cost_per_activity": "50000",
        "settings-cost_per_message": "300",
        "settings-pareto_measure": "revenue",
        "settings-pareto_months": "6",
        "costs-TOTAL_FORMS": "0",
        "costs-INITIAL_FORMS": "0",
        "costs-MIN_NUM_FORMS": "0",
        "costs-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


def _cost_rows(*rows: dict, initial: int = 0) -> dict:
    data = {"costs-TOTAL_FORMS": str(len(rows)), "costs-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"costs-{index}-{name}"] = value
    return data


def test_the_settings_and_ticket_costs_are_saved(client_for, manager):
    repairs = category("Repairs")
    client = client_for(manager)
    page = client.get(reverse("analytics:settings")).content.decode()
    assert "Changes apply at the next computation" in page and reverse("analytics:run_request") in page
    rows = _cost_rows(
        {"category": "", "priority": "", "cost_per_ticket": "100000", "cost_per_hour": "20000"},
        {"category": str(repairs.pk), "priority": str(Ticket.Priority.URGENT), "cost_per_ticket": "500000",
         "cost_per_hour": "0"},
    )  # fmt: skip
    response = client.post(reverse("analytics:settings"), _settings_data(**rows))
    assert response.status_code == 302
    assert "They apply from the next computation." in messages_of(response)[0]
    saved = AnalyticsSettings.load()
    assert (saved.annual_discount_rate, saved.horizon_months, saved.inactive_days) == (Decimal("12.5"), 24, 120)
    assert (saved.cost_per_order, saved.pareto_measure, saved.pareto_months) == (Decimal("15000"), "revenue", 6)
    costs = {(cost.category_id, cost.priority): cost.cost_per_ticket for cost in TicketCost.objects.all()}
    assert costs == {(None, None): Decimal("100000"), (repairs.pk, Ticket.Priority.URGENT): Decimal("500000")}


def test_the_blank_new_rows_add_nothing(client_for, admin):
    blank = {"category": "", "priority": "", "cost_per_ticket": "", "cost_per_hour": ""}
    response = client_for(admin).post(reverse("analytics:settings"), _settings_data(**_cost_rows(blank, blank)))
    assert response.status_code == 302
    assert not TicketCost.objects.exists() and AnalyticsSettings.load().horizon_months == 24


def test_duplicate_ticket_cost_rows_are_refused_and_nothing_is_written(client_for, admin):
    repairs = category("Repairs")
    rows = _cost_rows(
        {"category": str(repairs.pk), "priority": "", "cost_per_ticket": "1", "cost_per_hour": "0"},
        {"category": str(repairs.pk), "priority": "", "cost_per_ticket": "2", "cost_per_hour": "0"},
    )
    response = client_for(admin).post(reverse("analytics:settings"), _settings_data(**rows))
    assert response.status_code == 400
    assert "Row 1 already gives a cost for this category and priority." in response.content.decode()
    assert not TicketCost.objects.exists()
    assert AnalyticsSettings.load().horizon_months == 12  # the valid settings were not saved either


def test_a_row_repeating_a_saved_cost_is_refused(client_for, admin):
    TicketCost.objects.create(priority=Ticket.Priority.HIGH, cost_per_ticket=Decimal("10"))
    saved = TicketCost.objects.get()
    rows = _cost_rows(
        {"id": str(saved.pk), "category": "", "priority": str(Ticket.Priority.HIGH), "cost_per_ticket": "10",
         "cost_per_hour": "0"},
        {"category": "", "priority": str(Ticket.Priority.HIGH), "cost_per_ticket": "99", "cost_per_hour": "0"},
        initial=1,
    )  # fmt: skip
    response = client_for(admin).post(reverse("analytics:settings"), _settings_data(**rows))
    assert response.status_code == 400
    assert TicketCost.objects.count() == 1 and TicketCost.objects.get().cost_per_ticket == Decimal("10")


def test_a_ticket_cost_row_can_be_deleted(client_for, admin):
    cost = TicketCost.objects.create(priority=Ticket.Priority.LOW, cost_per_ticket=Decimal("10"))
    rows = _cost_rows(
        {"id": str(cost.pk), "category": "", "priority": str(Ticket.Priority.LOW), "cost_per_ticket": "10",
         "cost_per_hour": "0", "DELETE": "on"},
        initial=1,
    )  # fmt: skip
    assert client_for(admin).post(reverse("analytics:settings"), _settings_data(**rows)).status_code == 302
    assert not TicketCost.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("settings-annual_discount_rate", "150", "less than or equal to 100"),
        ("settings-horizon_months", "0", "greater than or equal to 1"),
        ("settings-cost_per_order", "-5", "greater than or equal to 0"),
        ("settings-inactive_days", "soon", "Enter a whole number"),
        ("settings-pareto_measure", "mood", "Select a valid choice"),
    ],
)
def test_bad_settings_are_shown_with_their_error_and_nothing_is_saved(field, value, message, client_for, admin):
    rows = _cost_rows({"category": "", "priority": "", "cost_per_ticket": "5", "cost_per_hour": "0"})
    response = client_for(admin).post(reverse("analytics:settings"), _settings_data(**rows, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert AnalyticsSettings.load().annual_discount_rate == Decimal("20") and not TicketCost.objects.exists()


def test_a_negative_ticket_cost_is_refused(client_for, admin):
    rows = _cost_rows({"category": "", "priority": "", "cost_per_ticket": "-1", "cost_per_hour": "0"})
    response = client_for(admin).post(reverse("analytics:settings"), _settings_data(**rows))
    assert response.status_code == 400 and not TicketCost.objects.exists()


def test_the_settings_page_query_count_does_not_grow_with_the_rows(client_for, admin, django_assert_max_num_queries):
    for number in range(1, 5):
        TicketCost.objects.create(
            category=TicketCategory.objects.create(name=f"Category {number}"), cost_per_ticket=Decimal(number)
        )
    client = client_for(admin)
    client.get(reverse("analytics:settings"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("analytics:settings")).status_code == 200


# --- admin ---------------------------------------------------------------------------------------


def test_the_admin_lists_the_analytics_models_and_keeps_runs_read_only(admin_client):
    done = run()
    snapshot = ReportSnapshot.objects.create(kind="rfm", computed_at=timezone.now(), data={"cells": []})
    AnalyticsSettings.load()
    for model in ("analyticssettings", "ticketcost", "computerun", "reportsnapshot"):
        assert admin_client.get(reverse(f"admin:analytics_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:analytics_computerun_change", args=[done.pk])).status_code == 200
    assert admin_client.get(reverse("admin:analytics_computerun_add")).status_code == 403
    assert admin_client.get(reverse("admin:analytics_reportsnapshot_delete", args=[snapshot.pk])).status_code == 403
    assert admin_client.get(reverse("admin:analytics_analyticssettings_add")).status_code == 403
