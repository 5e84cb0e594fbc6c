"""The checks behind /healthz: can we reach the database, the broker, and is the worker alive?"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm_site.celery import app as celery_app
from crm_site.models import Heartbeat

BROKER_TIMEOUT_SECONDS = 2


@dataclass
class Check:
    ok: bool
    detail: str = ""


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return Check(False, type(error).__name__)
    return Check(True, connection.vendor)


def check_broker() -> Check:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            transport = conn.transport_cls
    except Exception as error:
        return Check(False, type(error).__name__)
    return Check(True, str(transport))


def check_heartbeat() -> tuple[Check, str | None]:
    try:
        beat = Heartbeat.objects.filter(source="worker").values_list("beat_at", flat=True).first()
    except Exception as error:
        return Check(False, type(error).__name__), None
    if beat is None:
        return Check(False, "no heartbeat yet"), None
    age = (timezone.now() - beat).total_seconds()
    ok = age <= settings.HEARTBEAT_MAX_AGE_SECONDS
    return Check(ok, f"{int(age)}s ago"), beat.isoformat()


def health_report() -> tuple[bool, dict]:
    database = check_database()
    broker = check_broker()
    heartbeat, last_beat = check_heartbeat()
    healthy = database.ok and broker.ok and heartbeat.ok
    report = {
        "status": "ok" if healthy else "fail",
        "database": asdict(database),
        "broker": asdict(broker),
        "heartbeat": {**asdict(heartbeat), "last": last_beat},
    }
    return healthy, report
