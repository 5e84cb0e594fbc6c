"""One run of the analytics computation, step by step, with its progress on the ComputeRun.

The steps read the base into numpy arrays (a few grouped queries), compute every figure in
memory and write them in bulk. Each step runs in its own transaction (a savepoint inside an
outer one), so a step that fails writes nothing and leaves the connection usable to record the
failure; the steps before it stay written, each complete in itself. The run records the name,
seconds and rows of every step as it goes, and always ends done or failed with ``active``
cleared, so the next run can start.
"""

import calendar
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import AnalyticsSettings, ComputeRun
from analytics.services.compute import basket, churn, facts, models_fit, scores, snapshots, transactions, values
from analytics.services.compute.sql import date_number, more_work_memory
from analytics.services.compute.writer import write_customer_figures

logger = logging.getLogger(__name__)

# Step keys, as recorded on ComputeRun.steps and .step; the pages show these labels.
STEP_LABELS = {
    "customers": _("Reading the customers"),
    "cash_flows": _("Reading purchases, invoices, returns and costs"),
    "values": _("Historic lifetime value"),
    "models": _("Fitting the BG/NBD and Gamma-Gamma models"),
    "scores": _("RFM, Pareto classes and churn risk"),
    "customer_figures": _("Writing the customers' figures"),
    "daily_facts": _("Daily figures for the dashboard"),
    "reports": _("Report snapshots"),
    "basket": _("Products bought together"),
}


def months_before(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved back ``months`` months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Assumptions:
    """AnalyticsSettings as plain numbers, read once at the start of the run."""

    annual_rate: float
    cost_per_order_cents: float
    cost_per_activity_cents: float
    cost_per_message_cents: float
    horizon_months: int
    inactive_days: int
    pareto_measure: str
    pareto_months: int

    @classmethod
    def load(cls) -> "Assumptions":
        row = AnalyticsSettings.load()
        return cls(
            annual_rate=float(row.annual_discount_rate) / 100.0,
            cost_per_order_cents=float(row.cost_per_order * 100),
            cost_per_activity_cents=float(row.cost_per_activity * 100),
            cost_per_message_cents=float(row.cost_per_message * 100),
            horizon_months=int(row.horizon_months),
            inactive_days=int(row.inactive_days),
            pareto_measure=row.pareto_measure,
            pareto_months=int(row.pareto_months),
        )


class Computation:
    """The steps of one run and what they pass each other. Each step returns the rows it read
    or wrote, for the run's record."""

    def __init__(self, *, now: datetime.datetime) -> None:
        self.now = now
        self.today = timezone.localdate(now)
        self.today_number = date_number(self.today)
        self.assumptions = Assumptions.load()
        months = self.assumptions.pareto_months
        first = months_before(self.today, months) + datetime.timedelta(days=1) if months else None
        self.period_first_day = date_number(first) if first else None

    def steps(self) -> list[tuple[str, int, Callable[[], int]]]:
        """(key, weight in the progress bar, step), in order."""
        return [
            ("customers", 3, self.read_customers),
            ("cash_flows", 30, self.read_cash_flows),
            ("values", 4, self.compute_values),
            ("models", 8, self.fit_models),
            ("scores", 3, self.compute_scores),
            ("customer_figures", 25, self.write_customers),
            ("daily_facts", 15, self.write_daily_facts),
            ("reports", 7, self.write_reports),
            ("basket", 5, self.write_basket),
        ]

    def read_customers(self) -> int:
        self.base = transactions.load_base()
        return len(self.base)

    def read_cash_flows(self) -> int:
        a = self.assumptions
        self.flows = transactions.load_cash_flows(
            self.base,
            now=self.now,
            today=self.today_number,
            cost_per_message_cents=a.cost_per_message_cents,
            ticket_costs=transactions.load_ticket_costs(),
        )
        return self.flows.rows

    def compute_values(self) -> int:
        a = self.assumptions
        self.values = values.historic_values(
            self.base,
            self.flows,
            annual_rate=a.annual_rate,
            cost_per_order_cents=a.cost_per_order_cents,
            cost_per_activity_cents=a.cost_per_activity_cents,
            period_first_day=self.period_first_day,
        )
        return len(self.base)

    def fit_models(self) -> int:
        a = self.assumptions
        self.predictions = models_fit.fit_and_predict(
            self.flows.purchases,
            self.values,
            customers=len(self.base),
            today=self.today_number,
            horizon_months=a.horizon_months,
            annual_rate=a.annual_rate,
        )
        return int(np.count_nonzero(~np.isnan(self.predictions.value)))

    def compute_scores(self) -> int:
        a = self.assumptions
        self.scores = scores.compute_scores(
            self.flows.purchases,
            self.values,
            self.predictions,
            customers=len(self.base),
            today=self.today_number,
            inactive_days=a.inactive_days,
            pareto_measure=a.pareto_measure,
        )
        return int(np.count_nonzero(self.values.bought))

    def write_customers(self) -> int:
        return write_customer_figures(self.base, self.values, self.predictions, self.scores, computed_at=self.now)

    def write_daily_facts(self) -> int:
        return facts.rebuild_daily_facts(
            self.base, self.values, today=self.today_number, inactive_days=self.assumptions.inactive_days
        )

    def write_reports(self) -> int:
        a = self.assumptions
        rows: list[tuple[str, str, dict]] = []
        pareto = snapshots.pareto_snapshots(
            self.values, months=a.pareto_months, first_day=self.period_first_day, today=self.today_number
        )
        rows += [("pareto", variant, data) for variant, data in pareto.items()]
        rows.append(("rfm", "", snapshots.rfm_data(self.scores)))
        rows.append(
            ("forecast", "", snapshots.forecast_data(self.flows.purchases, self.values, today=self.today_number))
        )
        retention = snapshots.retention_snapshots(self.flows.purchases, self.base, today=self.today)
        rows += [("retention", variant, data) for variant, data in retention.items()]
        events = churn.load_events(self.base)
        lost = churn.churn_lost_snapshots(
            self.base, self.values, events, today=self.today, inactive_days=a.inactive_days
        )
        rows += [("churn_lost", variant, data) for variant, data in lost.items()]
        rows.append(("model", "", snapshots.model_data(self.predictions)))
        return snapshots.write_snapshots(rows, computed_at=self.now)

    def write_basket(self) -> int:
        return basket.refresh_product_pairs()

    def summary(self) -> dict:
        return {
            **snapshots.model_data(self.predictions),
            "base_customers": len(self.base),
            "buyers": int(np.count_nonzero(self.values.bought)),
            "as_of": self.today.isoformat(),
        }


def _record(run: ComputeRun, **fields) -> None:
    """Save fields of the run at once (outside the steps' transactions, so a page polling the
    run sees its progress while it runs)."""
    for name, value in fields.items():
        setattr(run, name, value)
    ComputeRun.objects.filter(pk=run.pk).update(**fields)


def run_compute(run: ComputeRun, *, now: datetime.datetime | None = None) -> ComputeRun:
    """Run every step for ``run`` (already claimed: status running) and record how it went.
    Never raises for a failing step: the run is marked failed with the error instead."""
    started = now or timezone.now()
    _record(run, status=ComputeRun.Status.RUNNING, started_at=run.started_at or timezone.now(), steps=[])
    try:
        computation = Computation(now=started)
        plan = computation.steps()
        total_weight = sum(weight for _key, weight, _step in plan)
        done_weight = 0
        for key, weight, step in plan:
            # One UPDATE per step: the step starting, with the timings of those before it.
            _record(run, step=key, progress=int(100 * done_weight / total_weight), steps=run.steps)
            began = perf_counter()
            with transaction.atomic():
                more_work_memory()
                rows = step()
            run.steps.append({"name": key, "seconds": round(perf_counter() - began, 3), "rows": int(rows)})
            done_weight += weight
        _record(
            run,
            status=ComputeRun.Status.DONE,
            progress=100,
            step="",
            steps=run.steps,
            summary=computation.summary(),
            active=None,
            finished_at=timezone.now(),
        )
    except Exception as error:
        logger.exception("Analytics run %s failed in step %s", run.pk, run.step)
        _record(
            run,
            status=ComputeRun.Status.FAILED,
            steps=run.steps,
            error=f"{type(error).__name__}: {error}"[:2000],
            active=None,
            finished_at=timezone.now(),
        )
    return run
