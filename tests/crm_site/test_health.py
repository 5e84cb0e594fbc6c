"""/healthz: database, broker and worker heartbeat, 200 when all are fine and 503 otherwise."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crm_site.celery import app as celery_app
from crm_site.services import heartbeat_record
from crm_site.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_all_ok_with_a_fresh_heartbeat(client):
    heartbeat_record()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"] and body["heartbeat"]["ok"]
    assert body["heartbeat"]["last"]


def test_no_heartbeat_yet_is_unhealthy(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["heartbeat"] == {"ok": False, "detail": "no heartbeat yet", "last": None}


def test_a_stale_heartbeat_is_unhealthy(client, settings):
    settings.HEARTBEAT_MAX_AGE_SECONDS = 180
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=4), tick=False):
        heartbeat_record()
    with time_machine.travel(now, tick=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["heartbeat"]["ok"] is False


def test_a_dead_broker_is_reported_as_503(client):
    heartbeat_record()
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False and body["database"]["ok"] is True


def test_healthz_needs_no_login_and_is_never_cached(client):
    heartbeat_record()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_the_heartbeat_task_records_the_time(client):
    with time_machine.travel(timezone.now(), tick=False):
        heartbeat.delay()
        assert client.get("/healthz").json()["heartbeat"]["detail"] == "0s ago"


def test_the_beat_schedules_exist():
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["crm: worker heartbeat"] == "crm_site.tasks.heartbeat"
    assert tasks["crm: dispatch outbox"] == "crm_site.tasks.dispatch_outbox"
    heartbeat_task = PeriodicTask.objects.get(name="crm: worker heartbeat")
    assert (heartbeat_task.interval.every, heartbeat_task.interval.period) == (1, "minutes")


def test_stale_imports_and_exports_are_failed_by_the_sweep(rep):
    from crm_site.models import DataJob
    from crm_site.tasks import sweep_stale_jobs

    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        stuck = DataJob.objects.create(kind="customers.export", user=rep, status=DataJob.Status.RUNNING)
    fresh = DataJob.objects.create(kind="customers.export", user=rep, status=DataJob.Status.RUNNING)
    sweep_stale_jobs.delay()
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == DataJob.Status.FAILED and "interrupted" in stuck.error
    assert fresh.status == DataJob.Status.RUNNING


def test_every_beat_schedule_names_a_registered_task():
    """A schedule whose task was renamed or never imported would fail silently in beat."""
    from django_celery_beat.models import PeriodicTask

    from crm_site.celery import app

    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"sales.send_due_reminders", "sales.expire_quotes", "service.check_sla"} <= scheduled
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
