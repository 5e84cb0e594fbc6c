"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV";
Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

A customer's transaction values are Gamma(p, nu), and nu is spread over the customers as
Gamma(q, gamma); the mean spend per transaction is then independent of how often the customer
buys, which is what lets it multiply the BG/NBD's expected purchases. Only the repeat
transactions count (zbar is their mean; the acquisition purchase is excluded, as in the papers),
so only customers with x > 0 (and zbar > 0) inform the fit.

Log-likelihood convention: the density of each customer's mean zbar given x,

    f(zbar | x) = Gamma(px + q) / (Gamma(px) Gamma(q)) * gamma^q * zbar^(px - 1) * x^(px) / (gamma + x zbar)^(px + q),

with every constant term kept. This full form is what gives Fader & Hardie's -4055.92 for the 946
CDNOW repeat buyers (dropping the terms that do not involve the parameters, -sum(log zbar), gives a
different number), so it is also what `GammaGammaFit.log_likelihood` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from analytics.clv.bgnbd import LOG_BOUND, NotEnoughDataError, fit_converged, gettext_noop, single_threaded_blas

__all__ = ["GammaGammaFit", "GammaGammaParams", "expected_spend", "fit_gamma_gamma", "gamma_gamma_log_likelihood"]


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per transaction, p gamma / (q - 1); infinite when q <= 1."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float  # the full form, see the module doc (-4055.92 for CDNOW)
    customers: int  # the repeat buyers the fit used
    converged: bool
    iterations: int = 0


def _repeat_buyers(frequency, monetary) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=np.float64).ravel()
    zbar = np.asarray(monetary, dtype=np.float64).ravel()
    if x.shape != zbar.shape:
        raise ValueError("frequency and monetary must have the same shape")
    used = (x > 0) & (zbar > 0) & np.isfinite(zbar)
    return x[used], zbar[used]


class _Likelihood:
    """Log-likelihood and gradient; the gamma functions of px are computed once per distinct x.
    Sums are ``(u * v).sum()`` rather than ``u @ v``, for the reason given in bgnbd._Likelihood."""

    def __init__(self, x: np.ndarray, zbar: np.ndarray) -> None:
        self.n = len(x)
        self.xs, counts = np.unique(x, return_counts=True)
        self.counts = counts.astype(np.float64)
        self.x = x
        self.log_z = np.log(zbar)
        self.xz = x * zbar
        # Terms without parameters in them: sum(x log x) and sum(x log zbar) multiply p,
        # sum(log zbar) is the constant.
        self.x_log_x = float((x * np.log(x)).sum())
        self.x_log_z = float((x * self.log_z).sum())
        self.sum_log_z = float(self.log_z.sum())

    def __call__(self, log_params: np.ndarray, gradient: bool = True):
        p, q, gamma = np.exp(log_params)
        px = p * self.xs
        log_gamma_xz = np.log(gamma + self.xz)
        weight = p * self.x + q  # (px + q) per customer
        ll = (
            (self.counts * (gammaln(px + q) - gammaln(px))).sum()
            - self.n * gammaln(q)
            + self.n * q * np.log(gamma)
            + p * self.x_log_z
            - self.sum_log_z
            + p * self.x_log_x
            - (weight * log_gamma_xz).sum()
        )
        if not gradient:
            return ll
        psi_pxq = digamma(px + q)
        d_p = (
            (self.counts * self.xs * (psi_pxq - digamma(px))).sum()
            + self.x_log_z
            + self.x_log_x
            - (self.x * log_gamma_xz).sum()
        )
        d_q = (self.counts * psi_pxq).sum() - self.n * digamma(q) + self.n * np.log(gamma) - log_gamma_xz.sum()
        d_gamma = self.n * q / gamma - (weight / (gamma + self.xz)).sum()
        return ll, np.array([d_p, d_q, d_gamma])


def gamma_gamma_log_likelihood(params: GammaGammaParams, frequency, monetary) -> float:
    """The full log-likelihood of the repeat buyers' mean spends (customers with x == 0 are left out)."""
    x, zbar = _repeat_buyers(frequency, monetary)
    return float(_Likelihood(x, zbar)(np.log([params.p, params.q, params.gamma]), gradient=False))


def fit_gamma_gamma(frequency, monetary) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from the customers with x > 0 and zbar > 0.

    Raises NotEnoughDataError with fewer than two such customers: the spread of spend between
    customers (q, gamma) cannot be told from one customer."""
    x, zbar = _repeat_buyers(frequency, monetary)
    if len(x) < 2:
        raise NotEnoughDataError(
            gettext_noop(
                "The Gamma-Gamma spend model needs at least two customers with a repeat purchase of positive "
                "value; there are %(count)d."
            ),
            count=len(x),
        )
    likelihood = _Likelihood(x, zbar)
    n = len(x)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = likelihood(theta)
        return -ll / n, -grad * np.exp(theta) / n

    # Start: a spend shape of 1, q = 2 and gamma matched so that the population mean is the mean zbar.
    start = np.log([1.0, 2.0, max(float(zbar.mean()), 1e-9)])
    with single_threaded_blas():
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * 3,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000, "maxcor": 20},
        )
    converged = fit_converged(result)
    p, q, gamma = (float(value) for value in np.exp(result.x))
    return GammaGammaFit(
        params=GammaGammaParams(p=p, q=q, gamma=gamma),
        log_likelihood=float(-result.fun * n),
        customers=n,
        converged=converged,
        iterations=int(result.nit),
    )


def expected_spend(params: GammaGammaParams, frequency, monetary) -> np.ndarray:
    """E[M | x, zbar] = (gamma + x zbar) p / (p x + q - 1): the customer's expected spend per
    transaction, a weighted mean of the population mean and the customer's own mean. For a customer
    with x == 0 it is the population mean p gamma / (q - 1) (zbar is not used then)."""
    x = np.asarray(frequency, dtype=np.float64)
    zbar = np.where(x > 0, np.asarray(monetary, dtype=np.float64), 0.0)
    p, q, gamma = params.p, params.q, params.gamma
    return (gamma + x * zbar) * p / (p * x + q - 1)
