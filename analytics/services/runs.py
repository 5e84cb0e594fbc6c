"""Runs of the analytics computation: requesting one ("recompute now"), the nightly one, and
running a queued one. One run at a time: a run is ``active`` while queued or running, and the
unique constraint on ``active`` refuses a second, even when two requests race.

A run left queued or running for more than STALE_AFTER (its worker died, the broker lost the
message) is marked failed by the next request, so it cannot lock the button for ever.
"""

import datetime
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import ComputeRun
from crm_site.models import User

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=2)
Status = ComputeRun.Status


def computeruns_fail_stale(*, now: datetime.datetime | None = None) -> int:
    """Mark runs queued or running for longer than STALE_AFTER as failed; returns how many."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale = Q(status=Status.RUNNING, started_at__lt=cutoff) | Q(status=Status.QUEUED, created_at__lt=cutoff)
    return ComputeRun.objects.filter(stale, active=True).update(
        status=Status.FAILED,
        active=None,
        finished_at=now,
        error=_("The run was interrupted (it did not finish within %(hours)d hours). Start it again.")
        % {"hours": STALE_AFTER.total_seconds() // 3600},
    )


def _create_run(*, user: User | None) -> ComputeRun:
    """A queued run, or ValidationError when one is already queued or running."""
    computeruns_fail_stale()
    try:
        with transaction.atomic():
            return ComputeRun.objects.create(requested_by=user, status=Status.QUEUED)
    except IntegrityError:
        raise ValidationError(
            _("The figures are already being computed. Wait for that run to finish."), code="active"
        ) from None


def _claim(run_id: int) -> ComputeRun | None:
    """Take a queued run for this process (a conditional update: one taker only)."""
    claimed = ComputeRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    return ComputeRun.objects.get(pk=run_id) if claimed else None


def compute_request(*, user: User) -> ComputeRun:
    """Queue a run for ``user`` ("recompute now") and hand it to the worker once the request's
    transaction commits. Raises ValidationError when a run is already queued or running."""
    run = _create_run(user=user)
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    """Hand the run to a worker; when the broker cannot be reached the run fails at once (with
    a message saying so) instead of holding the one-run lock until it goes stale."""
    from analytics.tasks import compute_run  # the task module imports this one

    try:
        compute_run.delay(run_id)
    except Exception:
        logger.exception("Could not enqueue analytics run %s", run_id)
        ComputeRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
            status=Status.FAILED,
            active=None,
            finished_at=timezone.now(),
            error=_("The background worker could not be reached; try again later."),
        )


def compute_execute(*, run_id: int, now: datetime.datetime | None = None) -> ComputeRun | None:
    """Run a queued run now, in this process; None (nothing done) when it is not queued any more
    (already taken by another worker, finished, or failed as stale)."""
    # Imported here: the computation pulls in numpy and scipy, which a page that only queues a
    # run does not need.
    from analytics.services.compute import run_compute

    run = _claim(run_id)
    return run_compute(run, now=now) if run else None


def compute_run_now(*, user: User | None = None, now: datetime.datetime | None = None) -> ComputeRun:
    """Create a run and run it at once, in this process (the nightly job, the demo, the bench).
    Raises ValidationError when a run is already queued or running."""
    run = _create_run(user=user)
    return compute_execute(run_id=run.pk, now=now) or ComputeRun.objects.get(pk=run.pk)


def compute_nightly(*, now: datetime.datetime | None = None) -> ComputeRun | None:
    """The nightly run; None when a run is already queued or running (that one will do)."""
    try:
        return compute_run_now(now=now)
    except ValidationError:
        return None
