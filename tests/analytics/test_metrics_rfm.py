"""RFM scores and segments on small fixed sets, worked out by hand (no database)."""

import numpy as np
import pytest

from analytics.metrics.rfm import (
    RFM_GRID,
    RFM_SEGMENT_LABELS,
    RFM_SEGMENTS,
    fm_score,
    rfm_scores,
    rfm_segment_codes,
    rfm_segment_totals,
)

# Ten customers c0..c9.
RECENCY = [2, 5, 10, 30, 40, 60, 90, 120, 200, 365]
FREQUENCY = [13, 1, 8, 1, 2, 1, 5, 1, 3, 2]
MONETARY = [1500, 20, 700, 50, 250, 80, 400, 100, 900, 300]


def test_scores_by_hand():
    r, f, m = rfm_scores(RECENCY, FREQUENCY, MONETARY)

    # score = 1 + (5 * customers strictly worse) // (n - 1), capped at 5; n - 1 = 9.
    # Recency, distinct: worse = 9, 8, ..., 0 -> 5, 5, 4, 4, 3, 3, 2, 2, 1, 1.
    assert r.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # Frequency with ties: 1 (x4) beats 0 -> 1; 2 (x2) beats 4 -> 3; 3 beats 6 -> 4; 5 beats 7 -> 4;
    # 8 beats 8 -> 5; 13 beats 9 -> 5.
    assert f.tolist() == [5, 1, 5, 1, 3, 1, 4, 1, 4, 3]
    # Monetary, distinct: ascending 20, 50, 80, 100, 250, 300, 400, 700, 900, 1500 -> two per score.
    assert m.tolist() == [5, 1, 4, 1, 3, 2, 4, 2, 5, 3]


def test_segments_by_hand():
    r, f, m = rfm_scores(RECENCY, FREQUENCY, MONETARY)

    # FM = (F + M + 1) // 2: 5, 1, 5, 1, 3, 2, 4, 2, 5, 3.
    assert fm_score(f, m).tolist() == [5, 1, 5, 1, 3, 2, 4, 2, 5, 3]
    assert rfm_segment_codes(r, f, m).tolist() == [
        "champions",  # R5 FM5
        "new",  # R5 FM1
        "loyal",  # R4 FM5
        "promising",  # R4 FM1
        "need_attention",  # R3 FM3
        "about_to_sleep",  # R3 FM2
        "at_risk",  # R2 FM4
        "hibernating",  # R2 FM2
        "cant_lose",  # R1 FM5
        "at_risk",  # R1 FM3
    ]


def test_segment_grid_cells():
    cases = {
        (5, 3, 2): "potential_loyalist",  # FM 3
        (4, 2, 2): "potential_loyalist",
        (1, 1, 1): "lost",
        (1, 2, 2): "lost",
        (2, 1, 1): "hibernating",
        (3, 4, 3): "loyal",  # FM (4 + 3 + 1) // 2 = 4
        (5, 4, 3): "champions",
        (5, 1, 2): "potential_loyalist",  # FM rounds half up: (1 + 2 + 1) // 2 = 2
        (2, 5, 4): "cant_lose",
        (3, 1, 1): "about_to_sleep",
    }
    r, f, m = (np.array(column) for column in zip(*cases, strict=True))
    assert rfm_segment_codes(r, f, m).tolist() == list(cases.values())


def test_segment_table_is_complete_and_fits_the_field():
    codes = [code for code, _, _ in RFM_SEGMENTS]
    assert len(codes) == len(set(codes)) == 11
    assert {cell for row in RFM_GRID for cell in row} == set(codes)
    assert all(code.isascii() and len(code) <= 40 for code in codes)
    assert RFM_SEGMENT_LABELS["cant_lose"] == "Can't lose them"


def test_scores_do_not_depend_on_input_order():
    rng = np.random.default_rng(5)
    recency = rng.integers(0, 30, 200)
    frequency = rng.integers(1, 6, 200)
    monetary = rng.choice([10.0, 20.0, 20.0, 55.5, 100.0], 200)
    scores = np.stack(rfm_scores(recency, frequency, monetary))
    for _ in range(5):
        p = rng.permutation(200)
        assert np.array_equal(np.stack(rfm_scores(recency[p], frequency[p], monetary[p])), scores[:, p])
    for value in np.unique(frequency):
        assert np.unique(scores[1][frequency == value]).size == 1


def test_a_tie_on_a_quintile_edge_takes_the_lower_score():
    # Six customers, n - 1 = 5: distinct values would score 1 + worse = 1, 2, 3, 4, 5, 5.
    # The two 30s would be 3 and 4 in some order; both beat two customers -> 3.
    _, _, m = rfm_scores([0] * 6, [1] * 6, [10, 20, 30, 30, 50, 60])
    assert m.tolist() == [1, 2, 3, 3, 5, 5]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([7.0], [1]),
        ([1.0, 2.0], [1, 5]),
        ([1.0, 2.0, 3.0], [1, 3, 5]),
        ([1.0, 2.0, 3.0, 4.0], [1, 2, 4, 5]),
        ([4.0, 4.0, 4.0, 4.0, 4.0, 4.0], [1] * 6),  # everyone equal: nobody beats anybody
        ([], []),
    ],
)
def test_small_and_equal_sets(values, expected):
    r, f, m = rfm_scores([-v for v in values], values, values)  # fewer days is better
    assert r.tolist() == f.tolist() == m.tolist() == expected


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        rfm_scores([1, np.nan], [1, 2], [3, 4])
    with pytest.raises(ValueError):
        rfm_scores([1, 2], [1, 2, 3], [3, 4])
    with pytest.raises(ValueError):
        rfm_segment_codes([6], [1], [1])


def test_segment_totals_for_the_grid_chart():
    codes = ["lost", "champions", "lost", "new"]
    totals = rfm_segment_totals(codes, [10.0, 500.0, np.nan, 25.0])
    assert list(totals) == [code for code, _, _ in RFM_SEGMENTS]
    assert totals["lost"] == (2, 10.0)
    assert totals["champions"] == (1, 500.0)
    assert totals["new"] == (1, 25.0)
    assert totals["loyal"] == (0, 0.0)
    with pytest.raises(ValueError):
        rfm_segment_totals(["gold"], [1.0])
