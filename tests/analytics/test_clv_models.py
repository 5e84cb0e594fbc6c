"""The predictive CLV models (analytics.clv): the published CDNOW figures, and small hand cases.

The CDNOW sample is read from its raw transaction file and summarised by ``summarise``, the code
that summarises the CRM's own orders, so these figures vouch for the production path. Published
figures: Fader, Hardie & Lee (2005) for the BG/NBD, Fader & Hardie (2013) for the Gamma-Gamma;
see shared/data/cdnow/README.md.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analytics.clv import (
    BgNbdParams,
    GammaGammaParams,
    NotEnoughDataError,
    bgnbd_log_likelihood,
    expected_purchases,
    expected_purchases_new,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    p_alive,
    p_no_purchase_new,
    p_purchases_new,
    predict,
    predicted_value,
    read_purchase_log,
    summarise,
    units_per_month,
    units_per_year,
)
from analytics.clv.bench import TRUE_BGNBD, fit_benchmark, simulate_population, summarise_benchmark

REPO = Path(__file__).resolve().parents[2]
CDNOW = REPO.parent / "shared" / "data" / "cdnow"
needs_cdnow = pytest.mark.skipif(
    not (CDNOW / "CDNOW_sample.txt").exists(), reason=f"the CDNOW data set is not at {CDNOW} (shared/data/cdnow)"
)

PUBLISHED_BGNBD = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
PUBLISHED_BGNBD_LL = -9582.4
PUBLISHED_GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
PUBLISHED_GG_LL = -4055.92
CALIBRATION_END = dt.date(1997, 9, 30)


@pytest.fixture(scope="module")
def cdnow_summary():
    log = read_purchase_log(CDNOW / "CDNOW_sample.txt", format="cdnow")
    return summarise(log.customers, log.days, log.amounts, end=CALIBRATION_END, unit_days=7.0)


@pytest.fixture(scope="module")
def published_summary():
    return np.genfromtxt(CDNOW / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True)


# --- CDNOW: the published figures -------------------------------------------------------------


@needs_cdnow
def test_cdnow_sample_summary_matches_the_published_one(cdnow_summary, published_summary):
    s = cdnow_summary
    assert len(s) == 2357
    assert s.repeat_buyers == 946
    assert s.frequency.sum() == 2457  # repeat transactions
    np.testing.assert_array_equal(s.customers, published_summary["ID"].astype(int))
    np.testing.assert_array_equal(s.frequency, published_summary["x"])
    # The published file is rounded to 2 decimals: within half a cent / half a hundredth of a week.
    assert np.abs(s.recency - published_summary["t_x"]).max() <= 0.005
    assert np.abs(s.age - published_summary["T"]).max() <= 0.005
    assert np.abs(s.monetary - published_summary["zbar"]).max() <= 0.005 + 1e-9
    # Customer 1 by hand: 1997-01-01, 1997-01-18 and 1997-08-02 in the calibration period (a fourth
    # purchase, 1997-12-12, is after it): x = 2, t_x = 213 days, T = 272 days, zbar = mean of the two repeats.
    assert (s.frequency[0], s.recency[0], s.age[0]) == (2, 213 / 7, 272 / 7)
    assert s.monetary[0] == pytest.approx((29.73 + 14.96) / 2)
    assert s.total[0] == pytest.approx(29.33 + 29.73 + 14.96)


@needs_cdnow
def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow_summary):
    fit = fit_bgnbd(cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary.age)
    assert fit.converged
    assert fit.customers == 2357
    for name in ("r", "alpha", "a", "b"):
        assert abs(getattr(fit.params, name) - getattr(PUBLISHED_BGNBD, name)) < 0.01, name
    assert abs(fit.log_likelihood - PUBLISHED_BGNBD_LL) < 0.1
    # The likelihood at the published (rounded) parameters is the published one too.
    at_published = bgnbd_log_likelihood(
        PUBLISHED_BGNBD, cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary.age
    )
    assert abs(at_published - PUBLISHED_BGNBD_LL) < 0.1
    assert at_published <= fit.log_likelihood  # and the fit is the maximum


@needs_cdnow
def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow_summary):
    fit = fit_gamma_gamma(cdnow_summary.frequency, cdnow_summary.monetary)
    assert fit.converged
    assert fit.customers == 946  # the repeat buyers only
    for name in ("p", "q", "gamma"):
        assert abs(getattr(fit.params, name) - getattr(PUBLISHED_GG, name)) < 0.01, name
    assert abs(fit.log_likelihood - PUBLISHED_GG_LL) < 0.1


@needs_cdnow
def test_gamma_gamma_log_likelihood_keeps_the_constant_terms(cdnow_summary):
    """-4055.92 is the full density of zbar; without the parameter-free -sum(log zbar) it would be
    about -915, which is not what Fader & Hardie report."""
    x, zbar = cdnow_summary.frequency, cdnow_summary.monetary
    full = gamma_gamma_log_likelihood(PUBLISHED_GG, x, zbar)
    assert abs(full - PUBLISHED_GG_LL) < 0.1
    without_constant = full + np.log(zbar[x > 0]).sum()
    assert abs(without_constant - PUBLISHED_GG_LL) > 3000


def test_published_point_checks():
    # A customer with x = 2, t_x = 30.43, T = 38.86 is expected to buy 1.226 times in the next 39 weeks.
    assert round(float(expected_purchases(PUBLISHED_BGNBD, 39, 2, 30.43, 38.86)), 3) == 1.226
    # A new customer makes no purchase in its first 39 weeks with probability 0.5737864 = (alpha/(alpha+39))^r.
    assert abs(p_no_purchase_new(PUBLISHED_BGNBD, 39) - 0.5737864) < 0.0005
    assert round(p_no_purchase_new(PUBLISHED_BGNBD, 39), 3) == round(0.5737864, 3)
    assert p_no_purchase_new(PUBLISHED_BGNBD, 39) == pytest.approx((4.414 / 43.414) ** 0.243)


def test_new_customer_purchase_distribution_is_consistent():
    """P(X(t) = x) is a distribution whose x = 0 term is p_no_purchase_new and whose mean is E[X(t)]."""
    counts = np.arange(3000)
    probabilities = p_purchases_new(PUBLISHED_BGNBD, 39, counts)
    assert probabilities.min() >= 0
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
    assert probabilities[0] == pytest.approx(p_no_purchase_new(PUBLISHED_BGNBD, 39))
    assert (counts * probabilities).sum() == pytest.approx(expected_purchases_new(PUBLISHED_BGNBD, 39), rel=1e-9)
    # A new customer is a customer with x = 0 observed for no time at all.
    assert expected_purchases_new(PUBLISHED_BGNBD, 39) == pytest.approx(
        float(expected_purchases(PUBLISHED_BGNBD, 39, 0, 0, 0))
    )


# --- summarise: hand cases ------------------------------------------------------------------


def _hand_log():
    """Customer 1: 10 + 5 on Jan 1 (one transaction of 15), 20 on Jan 15, 40 on Jan 29, and 100 on
    Mar 1 (after the end). Customer 2: 8 on Feb 5. Customer 3: only after the end. Rows shuffled."""
    rows = [
        (1, "2024-01-15", 20.0),
        (3, "2024-03-02", 9.0),
        (1, "2024-01-01", 10.0),
        (2, "2024-02-05", 8.0),
        (1, "2024-03-01", 100.0),
        (1, "2024-01-29", 40.0),
        (1, "2024-01-01", 5.0),
    ]
    customers, days, amounts = zip(*rows, strict=True)
    return np.array(customers), np.array(days, dtype="datetime64[D]"), np.array(amounts)


def test_summarise_merges_same_day_purchases_and_ignores_purchases_after_the_end():
    s = summarise(*_hand_log(), end=dt.date(2024, 2, 12), unit_days=7.0)
    np.testing.assert_array_equal(s.customers, [1, 2])  # customer 3 bought only after the end
    np.testing.assert_array_equal(s.frequency, [2, 0])  # Jan 1 (twice), Jan 15, Jan 29: 3 days, 2 repeats
    np.testing.assert_allclose(s.recency, [28 / 7, 0])  # Jan 29 - Jan 1
    np.testing.assert_allclose(s.age, [42 / 7, 7 / 7])  # Feb 12 - Jan 1; Feb 12 - Feb 5
    np.testing.assert_allclose(s.monetary, [(20 + 40) / 2, 0])  # the first purchase (15) is left out
    np.testing.assert_allclose(s.total, [15 + 20 + 40, 8])
    np.testing.assert_array_equal(s.first_purchase, np.array(["2024-01-01", "2024-02-05"], dtype="datetime64[D]"))
    np.testing.assert_array_equal(s.last_purchase, np.array(["2024-01-29", "2024-02-05"], dtype="datetime64[D]"))


def test_summarise_in_days_with_date_objects():
    customers, days, amounts = _hand_log()
    as_dates = [day.astype(object) for day in days]  # datetime.date objects, as Django returns them
    s = summarise(customers.tolist(), as_dates, amounts.tolist(), end="2024-02-12", unit_days=1.0)
    np.testing.assert_allclose(s.recency, [28, 0])
    np.testing.assert_allclose(s.age, [42, 7])


def test_summarise_with_text_keys():
    """Keys read from an export can be text (emails, codes): sorted as text, same rules."""
    days = np.array(["2024-01-01", "2024-01-02", "2024-01-08", "2024-01-02"], dtype="datetime64[D]")
    s = summarise(np.array(["b", "a", "b", "a"]), days, [1.0, 2.0, 3.0, 4.0], end="2024-01-10", unit_days=1.0)
    assert s.customers.tolist() == ["a", "b"]
    np.testing.assert_array_equal(s.frequency, [0, 1])  # a bought twice on the same day
    np.testing.assert_allclose(s.total, [6, 4])
    np.testing.assert_allclose(s.monetary, [0, 3])
    np.testing.assert_allclose(s.age, [8, 9])


def test_summarise_empty_log():
    s = summarise(np.array([5]), np.array(["2024-05-01"], dtype="datetime64[D]"), [1.0], end="2024-01-01")
    assert len(s) == 0 and s.repeat_buyers == 0


def test_summarise_benchmark_summarises_every_customer():
    # Its time is a figure of `make bench`, not a test.
    result = summarise_benchmark(rows=200_000, customers=20_000, seed=3)
    assert result["customers"] > 19_000


# --- BG/NBD and Gamma-Gamma: hand cases ------------------------------------------------------


def test_p_alive_is_one_without_repeat_purchases_and_matches_the_formula():
    params = BgNbdParams(r=1.0, alpha=1.0, a=1.0, b=2.0)
    np.testing.assert_array_equal(p_alive(params, [0, 0], [0, 0], [1, 50]), [1.0, 1.0])
    # x = 1, t_x = 1, T = 3: 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 1/2 * 2^2) = 1/3.
    assert float(p_alive(params, 1, 1, 3)) == pytest.approx(1 / 3)
    # The longer the silence since the last purchase, the less likely the customer is still there.
    assert np.all(np.diff(p_alive(PUBLISHED_BGNBD, 3, 10, [10, 20, 40, 80])) < 0)


def test_expected_purchases_hand_cases():
    assert float(expected_purchases(PUBLISHED_BGNBD, 0, 2, 30.43, 38.86)) == pytest.approx(0.0, abs=1e-12)
    horizons = expected_purchases(PUBLISHED_BGNBD, np.array([[13.0], [26.0], [52.0]]), [0, 5], [0, 30], [38, 38])
    assert horizons.shape == (3, 2)
    assert np.all(np.diff(horizons, axis=0) > 0)  # more time, more purchases
    # a = 1 is a removable singularity of the closed form: the value there is the limit from both sides.
    near = [float(expected_purchases(BgNbdParams(0.5, 5.0, a, 3.0), 20, 3, 10, 30)) for a in (1 - 1e-4, 1, 1 + 1e-4)]
    assert near[1] == pytest.approx(near[0], rel=1e-3) and near[1] == pytest.approx(near[2], rel=1e-3)
    # Heavy buyers stay finite (the Euler-transformed series does not overflow).
    heavy = expected_purchases(PUBLISHED_BGNBD, 52, [300, 1000], [77, 77.5], [78, 78])
    assert np.all(np.isfinite(heavy)) and np.all(heavy > 0)


def test_expected_spend_hand_case():
    params = GammaGammaParams(p=2.0, q=3.0, gamma=10.0)
    # x = 1, zbar = 20: (gamma + x zbar) p / (p x + q - 1) = 30 * 2 / 4 = 15; x = 0: p gamma / (q - 1) = 10.
    np.testing.assert_allclose(expected_spend(params, [1, 0], [20, 999]), [15.0, 10.0])
    assert params.mean_spend == 10.0


def test_predicted_value_without_discount_is_spend_times_margin_times_expected_purchases():
    bg, gg = PUBLISHED_BGNBD, GammaGammaParams(p=2.0, q=3.0, gamma=10.0)
    x, tx, T, zbar = np.array([1.0, 0.0]), np.array([10.0, 0.0]), np.array([20.0, 5.0]), np.array([20.0, 0.0])
    value = predicted_value(
        bg, gg, x, tx, T, zbar, horizon_periods=12, period_units=4.345, annual_discount_rate=0.0,
        units_per_year=52.14, margin=0.25,
    )  # fmt: skip
    purchases = expected_purchases(bg, 12 * 4.345, x, tx, T)
    np.testing.assert_allclose(value, np.array([15.0, 10.0]) * 0.25 * purchases, rtol=1e-12)


def test_predicted_value_discounts_each_period():
    """Two periods of one year each at 10%: E[Y(1)] / 1.1 + (E[Y(2)] - E[Y(1)]) / 1.21, times spend and margin."""
    bg, gg = PUBLISHED_BGNBD, GammaGammaParams(p=2.0, q=3.0, gamma=10.0)
    value = predicted_value(
        bg, gg, [1.0], [10.0], [20.0], [20.0], horizon_periods=2, period_units=52.0, annual_discount_rate=0.1,
        units_per_year=52.0, margin=np.array([0.5]),
    )  # fmt: skip
    first = float(expected_purchases(bg, 52.0, 1, 10, 20))
    both = float(expected_purchases(bg, 104.0, 1, 10, 20))
    assert float(value[0]) == pytest.approx(15.0 * 0.5 * (first / 1.1 + (both - first) / 1.21), rel=1e-12)


def test_units_and_predict():
    assert units_per_month(7) == pytest.approx(4.345, abs=5e-4)  # the README's 4.345 weeks a month
    assert units_per_year(7) == pytest.approx(52.14, abs=5e-3)
    s = summarise(*_hand_log(), end=dt.date(2024, 2, 12), unit_days=7.0)
    gg = GammaGammaParams(p=2.0, q=3.0, gamma=10.0)
    result = predict(PUBLISHED_BGNBD, gg, s, unit_days=7.0, horizon_months=12, annual_discount_rate=0.0, margin=1.0)
    np.testing.assert_array_equal(result.customers, s.customers)
    np.testing.assert_allclose(result.value, result.expected_purchases * result.expected_spend, rtol=1e-12)
    assert result.p_alive[1] == 1.0


# --- robustness ------------------------------------------------------------------------------


def test_nobody_repeating_is_a_clear_error():
    """With no repeat purchase the likelihood rises without end as r goes to 0 and the drop-out
    parameters are not identified: an error that says so, rather than parameters on a bound."""
    with pytest.raises(NotEnoughDataError, match="None of the 3 customers has a repeat purchase"):
        fit_bgnbd([0, 0, 0], [0, 0, 0], [5, 10, 20])
    with pytest.raises(NotEnoughDataError, match="no customers"):
        fit_bgnbd([], [], [])
    with pytest.raises(NotEnoughDataError, match="at least two customers"):
        fit_gamma_gamma([0, 3, 0], [0, 12.5, 0])


def test_bad_summaries_are_rejected():
    with pytest.raises(ValueError, match="recency must lie between 0 and age"):
        fit_bgnbd([1], [10], [5])
    with pytest.raises(ValueError, match="whole number"):
        fit_bgnbd([1.5], [1], [5])


def test_a_tiny_base_gives_finite_parameters():
    fit = fit_bgnbd([0, 1, 2, 0], [0, 3, 5, 0], [10, 10, 12, 4])
    assert all(np.isfinite(value) and value > 0 for value in vars(fit.params).values())
    assert np.isfinite(fit.log_likelihood)


def test_fit_recovers_simulated_parameters():
    population = simulate_population(50_000, seed=7)
    fit = fit_bgnbd(population["frequency"], population["recency"], population["age"])
    assert fit.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit.params, name) == pytest.approx(getattr(TRUE_BGNBD, name), rel=0.15), name


def test_fit_benchmark_recovers_its_population():
    # Its time is a figure of `make bench` (about 0.1 s of CPU at 100,000 customers), not a test.
    result = fit_benchmark(customers=20_000, seed=1)
    assert result["bgnbd_converged"] and result["gamma_gamma_converged"]
    assert result["bgnbd"]["r"] == pytest.approx(TRUE_BGNBD.r, rel=0.1)
    assert result["seconds"] > 0


def test_the_package_does_not_import_django():
    code = (
        "import sys, analytics.clv, analytics.clv.bench; "
        "sys.exit(1 if any(name.split('.')[0] == 'django' for name in sys.modules) else 0)"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=False).returncode == 0
