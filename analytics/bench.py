"""What ``make bench`` measures in the analytics app (see crm_site/bench.py).

Jobs: the full recompute (every customer's lifetime value, the models, RFM, Pareto classes,
churn risk, the daily figures, the report snapshots and the product pairs), as the nightly job
runs it; and fitting BG/NBD and Gamma-Gamma to 100,000 simulated customers (the models alone).
Pages: the dashboard and setup pages (analytics/bench_dashboard.py) and the report pages
(analytics/bench_reports.py).
"""

from analytics.bench_dashboard import DASHBOARD_PAGES
from analytics.bench_reports import REPORT_PAGES
from crm_site.bench import BenchContext, BenchJob, BenchPage

FIT_CUSTOMERS = 100_000
_POPULATION: dict = {}


def _full_recompute(ctx: BenchContext) -> None:
    from analytics.services.runs import compute_run_now  # imported when run: this module only describes

    run = compute_run_now()
    if run.status != run.Status.DONE:
        raise RuntimeError(f"The analytics computation failed: {run.error}")


def _simulate(ctx: BenchContext) -> None:
    from analytics.clv.bench import simulate_population

    if not _POPULATION:
        _POPULATION.update(simulate_population(FIT_CUSTOMERS, seed=ctx.seed))


def _fit_models(ctx: BenchContext) -> None:
    from analytics.clv import fit_bgnbd, fit_gamma_gamma

    population = _POPULATION
    fit_bgnbd(population["frequency"], population["recency"], population["age"])
    fit_gamma_gamma(population["frequency"], population["monetary"])


PAGES: list[BenchPage] = [*DASHBOARD_PAGES, *REPORT_PAGES]

JOBS = [
    BenchJob("analytics: full recompute", _full_recompute),
    BenchJob(f"analytics: fit BG/NBD + Gamma-Gamma to {FIT_CUSTOMERS:,} simulated customers", _fit_models, _simulate),
]
