"""The runs of the analytics computation, for the "Computation" page and the dashboard's
"Figures as of" line."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from analytics.models import ComputeRun

RUNS_PER_PAGE = 20


def runs_page(*, page_number: str | int | None) -> Page:
    """One page of the runs, newest first, with who asked for each (one query for the rows and
    one for the count, whatever the number of runs)."""
    runs = ComputeRun.objects.select_related("requested_by").order_by("-created_at", "-pk")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(page_number)
    page.object_list = list(page.object_list)  # read once: the page also shows its first row apart
    return page


def run_get(*, pk: int) -> ComputeRun | None:
    return ComputeRun.objects.select_related("requested_by").filter(pk=pk).first()


@dataclass(frozen=True)
class LastRun:
    pk: int
    finished_at: datetime.datetime


def last_run() -> LastRun | None:
    """The last successful run, whose figures the pages show ("Figures as of ...")."""
    row = (
        ComputeRun.objects.filter(status=ComputeRun.Status.DONE, finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .values_list("pk", "finished_at")
        .first()
    )
    return LastRun(*row) if row else None


def step_label(key: str) -> str:
    """The words for a step the computation records by key ("models" -> "Fitting the ...")."""
    if not key:
        return ""
    # Imported when used: the computation's module pulls in numpy, which the other pages skip.
    from analytics.services.compute.runner import STEP_LABELS

    return str(STEP_LABELS.get(key, key))


@dataclass(frozen=True)
class StepTiming:
    name: str
    seconds: float | None
    rows: int | None
    share: float  # percent of the run's time, for the bar beside it


def run_steps(run: ComputeRun | None) -> tuple[list[StepTiming], float | None]:
    """The steps of a run in the order they ran, each with its share of the total time."""
    if run is None:
        return [], None
    steps = [step for step in run.steps or [] if isinstance(step, dict)]
    total = sum(float(step.get("seconds") or 0) for step in steps)
    timings = [
        StepTiming(
            name=step_label(str(step.get("name", ""))),
            seconds=float(step["seconds"]) if step.get("seconds") is not None else None,
            rows=int(step["rows"]) if step.get("rows") is not None else None,
            share=round(100 * float(step.get("seconds") or 0) / total, 1) if total else 0.0,
        )
        for step in steps
    ]
    return timings, (total if steps else None)
