"""Pareto 80/20 figures, the Lorenz curve, the Gini coefficient and ABC classes (no database)."""

from pathlib import Path

import numpy as np
import pytest

from analytics.metrics.pareto import abc_classes, pareto_summary

CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"


@pytest.mark.skipif(not CDNOW.exists(), reason="CDNOW_master.txt is not in ../shared/data/cdnow")
def test_cdnow_top_20_percent_and_customers_making_80_percent():
    # customer_id, date, number_of_cds, dollar_value; revenue over the whole period, every customer.
    lines = np.loadtxt(CDNOW, skiprows=1)
    revenue = np.bincount(lines[:, 0].astype(int), weights=lines[:, 3])[1:]
    assert revenue.size == 23_570

    summary = pareto_summary(revenue)

    assert summary.customers == 23_570
    assert round(summary.top20_share * 100, 3) == 67.777
    assert round(summary.share_for_80 * 100, 2) == 32.65  # 7,695 customers, the one crossing 80% included
    classes = abc_classes(revenue)
    assert np.count_nonzero(classes == "A") == 7_695  # no tie at the 80% line here


def test_figures_by_hand():
    values = np.array([5.0, 50.0, 5.0, 30.0, 10.0])

    summary = pareto_summary(values, curve_points=6)

    assert summary.customers == 5
    assert summary.total == summary.net_total == 100.0
    assert summary.top20_share == pytest.approx(0.5)  # ceil(5 / 5) = 1 customer: the 50
    assert summary.share_for_80 == pytest.approx(0.4)  # 50 + 30 reach exactly 80%
    # Ascending 5, 5, 10, 30, 50: 2 * (5 + 10 + 30 + 120 + 250) / (5 * 100) - 6 / 5.
    assert summary.gini == pytest.approx(0.46)
    # Six points on a grid of fifths: exactly the Lorenz polyline.
    assert summary.lorenz_x == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert summary.lorenz_y == pytest.approx([0.0, 0.05, 0.10, 0.20, 0.50, 1.0])


def test_abc_boundaries_by_hand():
    # Ranked 50, 30, 10, 5, 5 with 0, 50, 80, 90, 95 before them: 30 crosses (reaches) 80% -> A;
    # 10 starts at 80% -> B; the second 5 starts at 95% -> C, but ties with a B -> B.
    assert abc_classes([5, 50, 5, 30, 10]).tolist() == ["B", "A", "B", "A", "B"]


def test_ties_straddling_the_a_and_b_lines_take_the_better_class():
    # 60 then 20 (before 60: A) then 20 (before 80: would be B) -> both 20s are A.
    values = np.array([20.0, 60.0, 20.0])
    assert abc_classes(values).tolist() == ["A", "A", "A"]
    # share_for_80 counts customers, not classes: 60 + 20 reach 80%.
    assert pareto_summary(values).share_for_80 == pytest.approx(2 / 3)

    # 70, 10 | 10 (before 80) | 5 (before 90) | 5 (before 95): the second 10 joins A, the last 5 joins B.
    assert abc_classes([5, 10, 70, 5, 10]).tolist() == ["B", "A", "A", "B", "A"]


def test_classes_do_not_depend_on_input_order():
    rng = np.random.default_rng(11)
    values = rng.choice([0.0, 1.0, 2.0, 5.0, 5.0, 8.0, 13.0, 40.0, -3.0], size=400)
    classes = abc_classes(values)
    for _ in range(5):
        permutation = rng.permutation(values.size)
        assert abc_classes(values[permutation]).tolist() == classes[permutation].tolist()
    # Equal values, equal classes.
    for value in np.unique(values):
        assert np.unique(classes[values == value]).size == 1


def test_float_rounding_at_exactly_80_percent():
    # In decimals 0.70 + 0.10 is exactly 80%: the 0.09 starts at 80% and is B, although in floats
    # 0.7 + 0.1 = 0.7999999999999999 < 0.8. The 0.05 starts at exactly 95% and is C.
    values = [0.7, 0.1, 0.09, 0.06, 0.05]
    assert abc_classes(values).tolist() == ["A", "A", "B", "B", "C"]
    assert pareto_summary(values).share_for_80 == pytest.approx(0.4)


def test_losses_count_as_nothing_in_shares_and_gini():
    values = np.array([60.0, -20.0, 30.0, 0.0, 10.0])

    summary = pareto_summary(values)

    assert summary.total == 100.0  # the base of the shares: positive values only
    assert summary.net_total == 80.0  # what the losses cost is still visible
    assert summary.top20_share == pytest.approx(0.6)
    assert summary.share_for_80 == pytest.approx(0.4)  # 60 + 30 of five customers
    # Gini of 0, 0, 10, 30, 60: 2 * (30 + 120 + 300) / 500 - 6 / 5.
    assert summary.gini == pytest.approx(0.6)
    assert abc_classes(values).tolist() == ["A", "C", "A", "C", "B"]


def test_values_at_or_below_zero_are_never_a_or_b():
    # Only one positive customer: it alone is A; zero and losses stay C even though "before" is tiny.
    assert abc_classes([0.0, 5.0, -1.0, 0.0]).tolist() == ["C", "A", "C", "C"]


def test_nobody_with_value_leaves_the_figures_undefined():
    for values in ([], [0.0, 0.0], [-5.0, 0.0]):
        summary = pareto_summary(values)
        assert summary.top20_share is None
        assert summary.share_for_80 is None
        assert summary.gini is None
        assert summary.lorenz_x == summary.lorenz_y == []
        assert set(abc_classes(values).tolist()) <= {"C"}
    assert pareto_summary([-5.0, 0.0]).net_total == -5.0


def test_one_customer_and_equal_customers():
    one = pareto_summary([42.0])
    assert (one.top20_share, one.share_for_80, one.gini) == (1.0, 1.0, 0.0)
    assert abc_classes([42.0]).tolist() == ["A"]

    equal = pareto_summary([3.0] * 10)
    assert equal.top20_share == pytest.approx(0.2)
    assert equal.share_for_80 == pytest.approx(0.8)
    assert equal.gini == pytest.approx(0.0, abs=1e-12)
    assert equal.lorenz_y == pytest.approx(equal.lorenz_x)
    assert abc_classes([3.0] * 10).tolist() == ["A"] * 10  # all tied with the first


def test_top_20_percent_rounds_up():
    # n = 6: ceil(6 / 5) = 2 customers (round would give 1).
    assert pareto_summary([10, 9, 1, 1, 1, 1]).top20_share == pytest.approx(19 / 23)


def test_lorenz_curve_is_downsampled_and_matches_the_gini():
    values = np.random.default_rng(3).lognormal(3, 1.2, size=5_000)

    summary = pareto_summary(values)

    assert len(summary.lorenz_x) == len(summary.lorenz_y) == 101
    assert (summary.lorenz_x[0], summary.lorenz_y[0]) == (0.0, 0.0)
    assert (summary.lorenz_x[-1], summary.lorenz_y[-1]) == (1.0, 1.0)
    assert np.all(np.diff(summary.lorenz_y) >= 0)
    assert np.all(np.array(summary.lorenz_y) <= np.array(summary.lorenz_x))  # convex, below equality
    # Gini = 1 - 2 * area under the exact curve.
    exact = np.concatenate(([0.0], np.cumsum(np.sort(values)) / values.sum()))
    area = np.sum((exact[1:] + exact[:-1]) / 2) / values.size
    assert summary.gini == pytest.approx(1 - 2 * area)


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError):
        pareto_summary([1.0, np.nan])
    with pytest.raises(ValueError):
        abc_classes([1.0, np.inf])
