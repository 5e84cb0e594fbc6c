"""Background jobs through a real Celery worker process (not eager), against the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from crm_site.celery import app as celery_app
from crm_site.messaging.services import message_enqueue
from crm_site.models import Channel, Heartbeat, OutboxMessage
from crm_site.tasks import dispatch_outbox, heartbeat

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def database_url() -> str:
    """A URL for the test database, so that the worker process opens the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{credentials}@" if credentials else ""
    return f"postgres://{host}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    # A queue of its own, so that no other worker on this machine (a running `make run`, another
    # test process) takes the test's tasks.
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": database_url(), "SMS_BACKEND": "console", "DEBUG": "true"}
    command = [sys.executable, "-m", "celery", "-A", "crm_site", "worker", "-Q", queue, "--pool", "solo"]
    command += ["--without-gossip", "--without-mingle", "--loglevel", "WARNING", "--hostname", f"{queue}@%h"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)


def wait_for(condition, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_a_real_worker_records_the_heartbeat_and_sends_the_outbox(worker_queue):
    heartbeat.apply_async(queue=worker_queue)
    assert wait_for(lambda: Heartbeat.objects.filter(source="worker").exists()), "the worker never beat"

    message = message_enqueue(channel=Channel.SMS, recipient="09123456789", body="Hi", idempotency_key="w-1")
    dispatch_outbox.apply_async(queue=worker_queue)
    dispatch_outbox.apply_async(queue=worker_queue)  # twice: the second run must send nothing
    assert wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.SENT)
    message.refresh_from_db()
    assert message.attempts == 1 and message.provider_id == f"console-{message.pk}"


def test_a_real_worker_sends_each_due_reminder_once(worker_queue):
    """The sales reminder job through a real worker, started twice: one notification each."""
    from datetime import timedelta

    from django.utils import timezone

    from crm_site.access import Role
    from crm_site.models import Notification
    from sales.models import Activity
    from sales.tasks.activities import send_due_reminders
    from tests.factories import UserFactory
    from tests.sales.factories import ActivityFactory

    rep = UserFactory(username="worker-rep", role=Role.SALES_REP)
    now = timezone.now()
    for _ in range(3):
        ActivityFactory(assignee=rep, remind_at=now - timedelta(minutes=1), due_at=now + timedelta(hours=1))
    send_due_reminders.apply_async(queue=worker_queue)
    send_due_reminders.apply_async(queue=worker_queue)
    assert wait_for(lambda: not Activity.objects.filter(reminder_sent_at__isnull=True).exists())
    time.sleep(2)  # the second run has had its chance to send again
    assert Notification.objects.filter(recipient=rep).count() == 3
