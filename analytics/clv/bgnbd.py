"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

While active, a customer buys at a Poisson rate lambda, spread over the customers as
Gamma(r, alpha); after each repeat purchase the customer drops out with probability p, spread as
Beta(a, b). From each customer's (x, t_x, T) the four parameters are fitted by maximum likelihood
over the whole base, and from them follow the expected purchases in a coming period and the
probability that the customer is still active.

Numerics:

- The likelihood is written in logs, with ``gammaln`` for the gamma and beta functions and the
  second branch (dropped out after the last purchase) added as ``logaddexp(0, d)``, so nothing
  over- or underflows whatever x is.
- Every term that depends on x only (the gamma and beta functions) is computed once per distinct
  x and indexed, so an evaluation on 100,000 customers is a handful of numpy operations; the
  gradient is analytic.
- L-BFGS-B works on the logarithms of the parameters (all positive, and of very different
  scales: alpha is in time units) within wide bounds, minimising the MEAN negative
  log-likelihood, so that its tolerances mean the same for 2,000 customers or 2 million.
- Expected purchases use Euler's transformation of the hypergeometric function,
  (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),
  whose series converges fast and stays near 1 even for customers with hundreds of purchases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "NotEnoughDataError",
    "bgnbd_log_likelihood",
    "expected_purchases",
    "expected_purchases_new",
    "fit_bgnbd",
    "p_alive",
    "p_no_purchase_new",
    "p_purchases_new",
    "single_threaded_blas",
]

# Bounds of the log-parameters: e^-15 to e^15 covers rates in days or in years.
LOG_BOUND = 15.0


def gettext_noop(message: str) -> str:
    """Marks a message for translation without translating it here (no Django in this package)."""
    return message


def single_threaded_blas():
    """Run a block with BLAS on one thread.

    L-BFGS-B does a little linear algebra on 4-by-20 matrices at every step; a multi-threaded
    OpenBLAS wakes its threads for each call, and on a busy two-core machine the hand-offs made a
    fit 5 to 30 times slower (measured: 0.6 s instead of 0.1 s). threadpoolctl sets the limit and
    restores it on the way out."""
    return threadpool_limits(limits=1, user_api="blas")


class NotEnoughDataError(ValueError):
    """The data cannot identify the model (no customer, or nobody buys again).
    ``template % params`` is the message; the command translates ``template`` first."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params)


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    log_likelihood: float  # the full log-likelihood (the published -9582.4 for CDNOW)
    customers: int
    converged: bool  # the optimiser met its tolerance and no parameter sits on a bound
    iterations: int = 0


def _summary_arrays(frequency, recency, age) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three as float arrays broadcast to one shape (a scalar stands for every customer)."""
    x, tx, T = (np.asarray(values, dtype=np.float64) for values in (frequency, recency, age))
    try:
        return tuple(np.broadcast_arrays(x, tx, T))  # type: ignore[return-value]
    except ValueError:
        raise ValueError("frequency, recency and age must have the same shape") from None


def _validate(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> None:
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(T).all()):
        raise ValueError("frequency, recency and age must be finite")
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency must be a whole number of repeat purchases, 0 or more")
    if (tx < 0).any() or (tx > T).any():
        raise ValueError("recency must lie between 0 and age")
    if ((x > 0) & (tx <= 0)).any():
        raise ValueError("a customer with repeat purchases must have a recency above 0")


class _Likelihood:
    """The BG/NBD log-likelihood and its gradient over a fixed customer base.

    Sums are ``(u * v).sum()``, not ``u @ v``: a matrix product goes to the multi-threaded BLAS,
    whose threads, woken at every evaluation, cost more than the whole sum on a busy two-core
    machine (measured: a fit five times slower)."""

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> None:
        self.n = len(x)
        # Distinct x values and how many customers have each; the repeaters' index into them.
        self.xs, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        self.counts = counts.astype(np.float64)
        self.T = T
        self.repeat_index = np.flatnonzero(x > 0)
        self.rep_x = x[self.repeat_index]
        self.rep_tx = tx[self.repeat_index]
        first_repeat_group = int(np.searchsorted(self.xs, 0.0, side="right"))
        self.rep_xs = self.xs[first_repeat_group:]
        self.rep_group = inverse[self.repeat_index] - first_repeat_group

    def __call__(self, log_params: np.ndarray, gradient: bool = True):
        r, alpha, a, b = np.exp(log_params)
        n, xs, counts = self.n, self.xs, self.counts

        # Terms that depend on x alone: once per distinct x.
        per_x = gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b)
        log_a_over = np.log(a) - np.log(b + self.rep_xs - 1)  # log(a / (b + x - 1)), x >= 1

        log_alpha_T = np.log(alpha + self.T)
        rep_log_alpha_T = log_alpha_T[self.repeat_index]
        rep_log_ratio = rep_log_alpha_T - np.log(alpha + self.rep_tx)  # log((alpha + T) / (alpha + t_x))
        rep_power = r + self.rep_x
        # d: log of (second branch / first branch) of each repeater's likelihood: dropped out after
        # the last purchase versus still active. log(1 + e^d) and its derivative e^d / (1 + e^d)
        # from one exponential, without overflow.
        d = log_a_over[self.rep_group] + rep_power * rep_log_ratio
        e = np.exp(-np.abs(d))
        softplus = np.maximum(d, 0.0) + np.log1p(e)

        ll = (
            (counts * per_x).sum()
            + n * r * np.log(alpha)
            - r * log_alpha_T.sum()
            - (self.rep_x * rep_log_alpha_T).sum()
            + softplus.sum()
        )
        if not gradient:
            return ll

        w = np.where(d >= 0, 1.0, e) / (1.0 + e)  # the weight of the dropped-out branch
        inv_T = 1.0 / (alpha + self.T)
        rep_inv_T = inv_T[self.repeat_index]
        rep_inv_tx = 1.0 / (alpha + self.rep_tx)
        w_by_x = np.bincount(self.rep_group, weights=w, minlength=len(self.rep_xs))
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + xs)

        d_r = (
            (counts * (digamma(r + xs) - digamma(r))).sum()
            + n * np.log(alpha)
            - log_alpha_T.sum()
            + (w * rep_log_ratio).sum()
        )
        d_alpha = (
            n * r / alpha
            - r * inv_T.sum()
            - (self.rep_x * rep_inv_T).sum()
            + (w * rep_power * (rep_inv_T - rep_inv_tx)).sum()
        )
        d_a = (counts * (psi_ab - psi_abx)).sum() + w.sum() / a
        d_b = (counts * (psi_ab + digamma(b + xs) - digamma(b) - psi_abx)).sum() - (
            w_by_x / (b + self.rep_xs - 1)
        ).sum()
        return ll, np.array([d_r, d_alpha, d_a, d_b])


def bgnbd_log_likelihood(params: BgNbdParams, frequency, recency, age) -> float:
    """The full log-likelihood of the customer base (constants included)."""
    x, tx, T = _summary_arrays(frequency, recency, age)
    likelihood = _Likelihood(x.ravel(), tx.ravel(), T.ravel())
    return float(likelihood(np.log([params.r, params.alpha, params.a, params.b]), gradient=False))


def _start(x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """A start near typical fits: r = 1 and alpha matched to the base's purchase rate; a = b = 1."""
    rate = (x.sum() + 1.0) / max(T.sum(), 1e-9)
    return np.log([1.0, 1.0 / rate, 1.0, 1.0])


def fit_bgnbd(frequency, recency, age) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for a customer base.

    Raises NotEnoughDataError when there is no customer, or when nobody has a repeat purchase:
    then the likelihood keeps rising as r goes to 0 and the drop-out parameters are not
    identified at all, so any "fit" would be a bound of the optimiser, not an estimate.
    """
    x, tx, T = (array.ravel() for array in _summary_arrays(frequency, recency, age))
    _validate(x, tx, T)
    if not len(x):
        raise NotEnoughDataError(gettext_noop("There are no customers to fit the model to."))
    if not (x > 0).any():
        raise NotEnoughDataError(
            gettext_noop(
                "None of the %(customers)d customers has a repeat purchase, so the purchase rate cannot be told "
                "apart from drop-out: the BG/NBD model needs repeat buyers."
            ),
            customers=len(x),
        )
    likelihood = _Likelihood(x, tx, T)
    n = len(x)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = likelihood(theta)
        # Chain rule for the log-parameters; mean, so that the tolerances do not depend on n.
        return -ll / n, -grad * np.exp(theta) / n

    with single_threaded_blas():
        result = minimize(
            objective,
            _start(x, T),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * 4,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000, "maxcor": 20},
        )
    converged = fit_converged(result)
    r, alpha, a, b = (float(value) for value in np.exp(result.x))
    return BgNbdFit(
        params=BgNbdParams(r=r, alpha=alpha, a=a, b=b),
        log_likelihood=float(-result.fun * n),
        customers=n,
        converged=converged,
        iterations=int(result.nit),
    )


def fit_converged(result) -> bool:
    """Converged: no parameter on a bound, and the optimiser stopped on its tolerance or, when its
    line search gave up (it can, that close to the optimum), with a gradient of the mean
    log-likelihood that is numerically zero."""
    on_bound = bool((np.abs(result.x) >= LOG_BOUND - 1e-6).any())
    flat = bool(np.abs(result.jac).max() < 1e-6)
    return not on_bound and (bool(result.success) or flat)


def _log_second_branch(params: BgNbdParams, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log[a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)], -inf when x == 0 (no second branch)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return np.where(x > 0, d, -np.inf)


def p_alive(params: BgNbdParams, frequency, recency, age) -> np.ndarray:
    """P(the customer is still active | x, t_x, T); 1 for a customer with no repeat purchase
    (in the BG/NBD a customer can only drop out right after a repeat purchase)."""
    x, tx, T = _summary_arrays(frequency, recency, age)
    return expit(-_log_second_branch(params, x, tx, T))


def expected_purchases(params: BgNbdParams, t, frequency, recency, age) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: the expected number of purchases in the next ``t`` time units.

    ``t`` broadcasts against the customers' arrays (a column of horizons gives one row each)."""
    x, tx, T = _summary_arrays(frequency, recency, age)
    t = np.asarray(t, dtype=np.float64)
    r, alpha, b = params.r, params.alpha, params.b
    # a == 1 is a removable singularity of the closed form: step just off it.
    a = params.a if abs(params.a - 1.0) > 1e-7 else 1.0 + 1e-7
    z = t / (alpha + T + t)
    # Parameters pinned on the optimiser's bounds (a fit that did not converge) can overflow
    # here; the result is then NaN, which callers treat as "no prediction", without a warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        hyp = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)  # Euler-transformed, see the module doc
        alive_part = (a + b + x - 1) / (a - 1) * (1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp)
        return alive_part * expit(-_log_second_branch(params, x, tx, T))


def expected_purchases_new(params: BgNbdParams, t) -> float | np.ndarray:
    """E[X(t)]: the expected purchases of a newly acquired customer in its first ``t`` units."""
    t = np.asarray(t, dtype=np.float64)
    result = expected_purchases(params, t, np.zeros_like(t), np.zeros_like(t), np.zeros_like(t))
    return float(result) if result.ndim == 0 else result


def p_purchases_new(params: BgNbdParams, t: float, purchases) -> float | np.ndarray:
    """P(X(t) = x): the probability that a new customer makes exactly x purchases in its first t units
    (eq. 8 of Fader, Hardie & Lee 2005)."""
    x = np.asarray(purchases, dtype=np.float64)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    p = alpha / (alpha + t)  # the negative binomial's success probability
    log_nb = gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(p) + x * np.log1p(-p)
    still_active = np.exp(betaln(a, b + x) - betaln(a, b) + log_nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Dropped out after the x-th purchase, having made at least x purchases by t: Σ_{j<x} NB(j) = I_p(r, x).
        dropped = np.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * (1.0 - betainc(r, x, p))
    result = still_active + np.where(x > 0, dropped, 0.0)
    return float(result) if result.ndim == 0 else result


def p_no_purchase_new(params: BgNbdParams, t: float) -> float:
    """P(X(t) = 0) = (alpha / (alpha + t))^r: the probability that a new customer makes no purchase
    in its first t units (the literature's 0.5737864 for CDNOW at t = 39 weeks). Its first purchase,
    the one that made it a customer, is at time 0 and not counted in X(t)."""
    return float((params.alpha / (params.alpha + t)) ** params.r)
