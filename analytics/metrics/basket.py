"""Basket analysis: which products are bought together, with support, confidence and lift.

For products A and B over ``n`` orders, counting each product at most once per order:

* ``together``: orders containing both A and B; ``orders_a``, ``orders_b``: orders containing A, B;
* support(A, B)   = together / n                       how common the pair is;
* confidence(A->B) = together / orders_a                how often a buyer of A also takes B;
* lift(A, B)      = confidence(A->B) / (orders_b / n)   = together * n / (orders_a * orders_b),
  how much more often than chance they go together (1: independent; > 1: bought together).

Support and lift are symmetric; confidence is not (B->A: pass the counts swapped). ``n`` is the
number of orders in the period, single-item orders included: they are part of how common a
product is, although they make no pair. A ratio with a zero denominator is NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse


def pair_metrics(
    together: ArrayLike, orders_a: ArrayLike, orders_b: ArrayLike, n_orders: int | ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Support, confidence (A->B) and lift per pair; see the module docstring."""
    both = np.asarray(together, dtype=float)
    with_a = np.asarray(orders_a, dtype=float)
    with_b = np.asarray(orders_b, dtype=float)
    n = np.asarray(n_orders, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        support = np.where(n > 0, both / n, np.nan)
        confidence = np.where(with_a > 0, both / with_a, np.nan)
        lift = np.where((with_b > 0) & (n > 0), confidence / (with_b / n), np.nan)
    return support, confidence, lift


def basket_from_orders(
    order_ids: ArrayLike, product_ids: ArrayLike, *, min_together: int = 1
) -> list[tuple[Any, Any, int, int, int]]:
    """Pair counts from order lines: ``(a, b, together, orders_a, orders_b)`` with ``a < b``.

    ``order_ids`` and ``product_ids`` are parallel, one entry per order line; a product on
    several lines of one order counts once. Pairs seen together fewer than ``min_together``
    times are left out. Sorted by ``together`` (most first), then by ``a`` and ``b``. Ids come
    back as plain Python values, ready for the ORM."""
    orders = np.asarray(order_ids).ravel()
    products = np.asarray(product_ids).ravel()
    if orders.size != products.size:
        raise ValueError("order_ids and product_ids must be parallel arrays.")
    if orders.size == 0:
        return []
    order_keys, order_index = np.unique(orders, return_inverse=True)
    product_keys, product_index = np.unique(products, return_inverse=True)

    # The order x product incidence matrix, 1 where the order holds the product (duplicates
    # summed, then capped at 1); its Gram matrix counts orders per product pair.
    incidence = sparse.coo_matrix(
        (np.ones(orders.size, dtype=np.int64), (order_index.ravel(), product_index.ravel())),
        shape=(order_keys.size, product_keys.size),
    ).tocsr()
    incidence.sum_duplicates()
    incidence.data[:] = 1
    co_occurrence = (incidence.T @ incidence).tocoo()
    per_product = np.asarray(incidence.sum(axis=0)).ravel()

    upper = (co_occurrence.row < co_occurrence.col) & (co_occurrence.data >= min_together)
    a = co_occurrence.row[upper]
    b = co_occurrence.col[upper]
    together = co_occurrence.data[upper]
    order = np.lexsort((b, a, -together))
    a, b, together = a[order], b[order], together[order]
    return list(
        zip(
            product_keys[a].tolist(),
            product_keys[b].tolist(),
            together.tolist(),
            per_product[a].tolist(),
            per_product[b].tolist(),
            strict=True,
        )
    )
