"""Timing the CLV models on a simulated customer base (the numbers ``make bench`` prints).

The population is drawn from the models themselves, with CDNOW-like parameters, so the fit must
also find its way back to them: a benchmark that checks what it times.
"""

from __future__ import annotations

from dataclasses import asdict
from time import perf_counter, process_time

import numpy as np

from analytics.clv.bgnbd import BgNbdParams, fit_bgnbd
from analytics.clv.gamma_gamma import GammaGammaParams, fit_gamma_gamma
from analytics.clv.summary import summarise

__all__ = ["TRUE_BGNBD", "TRUE_GAMMA_GAMMA", "fit_benchmark", "simulate_population", "summarise_benchmark"]

TRUE_BGNBD = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # weeks
TRUE_GAMMA_GAMMA = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def simulate_population(
    customers: int,
    *,
    seed: int,
    bg: BgNbdParams = TRUE_BGNBD,
    gg: GammaGammaParams = TRUE_GAMMA_GAMMA,
    max_age: float = 78.0,
) -> dict[str, np.ndarray]:
    """Draw (x, t_x, T, zbar) for ``customers`` customers acquired uniformly over ``max_age`` weeks.

    Each customer: rate lambda ~ Gamma(r, 1/alpha), drop-out probability p ~ Beta(a, b). The
    repeat purchases in (0, T] are Poisson(lambda T) in number, of which the customer makes only
    the first M ~ Geometric(p) (dropping out after the M-th). Given N Poisson events in (0, T], the
    x-th is T times a Beta(x, N - x + 1) draw. Spend: nu ~ Gamma(q, 1/gamma), and the mean of x
    Gamma(p, 1/nu) values is Gamma(p x, 1/(nu x)).
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(bg.r, 1.0 / bg.alpha, customers)
    drop = rng.beta(bg.a, bg.b, customers)
    age = rng.uniform(0.0, max_age, customers)
    events = rng.poisson(rate * age)
    last_purchase = rng.geometric(drop)  # purchases made before dropping out (the last one included)
    x = np.minimum(events, last_purchase)
    repeat = x > 0
    recency = np.zeros(customers)
    recency[repeat] = age[repeat] * rng.beta(x[repeat], events[repeat] - x[repeat] + 1)
    nu = rng.gamma(gg.q, 1.0 / gg.gamma, customers)
    monetary = np.zeros(customers)
    monetary[repeat] = rng.gamma(gg.p * x[repeat], 1.0 / (nu[repeat] * x[repeat]))
    return {"frequency": x.astype(np.float64), "recency": recency, "age": age, "monetary": monetary}


def fit_benchmark(customers: int = 100_000, seed: int = 1) -> dict:
    """Fit both models to a simulated base and time each fit (seconds, wall clock)."""
    population = simulate_population(customers, seed=seed)
    started, cpu_started = perf_counter(), process_time()
    bg = fit_bgnbd(population["frequency"], population["recency"], population["age"])
    bg_seconds = perf_counter() - started
    started = perf_counter()
    gg = fit_gamma_gamma(population["frequency"], population["monetary"])
    gg_seconds = perf_counter() - started
    return {
        "customers": customers,
        "repeat_buyers": int(np.count_nonzero(population["frequency"])),
        "bgnbd_seconds": bg_seconds,
        "gamma_gamma_seconds": gg_seconds,
        "seconds": bg_seconds + gg_seconds,
        # CPU time of this process for both fits: what the fit costs, whatever else the machine runs.
        "cpu_seconds": process_time() - cpu_started,
        "bgnbd": asdict(bg.params),
        "bgnbd_true": asdict(TRUE_BGNBD),
        "bgnbd_log_likelihood": bg.log_likelihood,
        "bgnbd_converged": bg.converged,
        "gamma_gamma": asdict(gg.params),
        "gamma_gamma_true": asdict(TRUE_GAMMA_GAMMA),
        "gamma_gamma_converged": gg.converged,
    }


def summarise_benchmark(rows: int = 1_000_000, customers: int = 100_000, seed: int = 1) -> dict:
    """Time ``summarise`` on a random log of ``rows`` purchases (two years, same-day repeats included)."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(1, customers + 1, rows)
    days = np.datetime64("2023-01-01") + rng.integers(0, 730, rows).astype("timedelta64[D]")
    amounts = rng.gamma(2.0, 50.0, rows).round(2)
    started = perf_counter()
    summary = summarise(keys, days, amounts, end=np.datetime64("2024-12-31"), unit_days=7.0)
    return {"rows": rows, "customers": len(summary), "seconds": perf_counter() - started}
