"""Basket metrics on a toy order set, counted and computed by hand (no database)."""

import numpy as np
import pytest

from analytics.metrics.basket import basket_from_orders, pair_metrics

A, B, C = 10, 20, 30
# Five orders, one line each: 1 {A, B, C}, 2 {A, B}, 3 {A, C}, 4 {B}, 5 {A, B, B} (B on two lines).
LINES = [(1, A), (1, B), (1, C), (2, A), (2, B), (3, A), (3, C), (4, B), (5, A), (5, B), (5, B)]


def test_pair_counts_from_order_lines():
    order_ids, product_ids = zip(*reversed(LINES), strict=True)  # order of lines does not matter

    pairs = basket_from_orders(np.array(order_ids), np.array(product_ids))

    # A in orders 1, 2, 3, 5 (4); B in 1, 2, 4, 5 (4, order 5 once); C in 1, 3 (2).
    # A+B in 1, 2, 5; A+C in 1, 3; B+C in 1.
    assert pairs == [(A, B, 3, 4, 4), (A, C, 2, 4, 2), (B, C, 1, 4, 2)]
    assert all(type(value) is int for pair in pairs for value in pair)  # plain ints for the ORM
    assert basket_from_orders(np.array(order_ids), np.array(product_ids), min_together=2) == pairs[:2]


def test_support_confidence_and_lift_by_hand():
    pairs = basket_from_orders(*zip(*LINES, strict=True))
    _, _, together, orders_a, orders_b = (np.array(column) for column in zip(*pairs, strict=True))

    support, confidence, lift = pair_metrics(together, orders_a, orders_b, n_orders=5)

    # A+B: 3/5; A->B 3/4; lift 0.75 / (4/5).   A+C: 2/5; A->C 2/4; lift 0.5 / (2/5).
    # B+C: 1/5; B->C 1/4; lift 0.25 / (2/5).
    assert support.tolist() == pytest.approx([0.6, 0.4, 0.2])
    assert confidence.tolist() == pytest.approx([0.75, 0.5, 0.25])
    assert lift.tolist() == pytest.approx([0.9375, 1.25, 0.625])

    # The other direction: C->A = 2/2, with the same lift.
    _, confidence_back, lift_back = pair_metrics([2], [2], [4], 5)
    assert confidence_back.tolist() == [1.0]
    assert lift_back.tolist() == pytest.approx([1.25])


def test_string_ids_and_empty_input():
    pairs = basket_from_orders(["o1", "o1", "o2", "o2"], ["tea", "cup", "cup", "tea"])
    assert pairs == [("cup", "tea", 2, 2, 2)]
    assert basket_from_orders([], []) == []


def test_zero_denominators_give_nan():
    support, confidence, lift = pair_metrics([0], [0], [0], 0)
    assert np.isnan(support[0]) and np.isnan(confidence[0]) and np.isnan(lift[0])
