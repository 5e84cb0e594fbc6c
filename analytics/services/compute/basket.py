"""Basket analysis: ProductPair rewritten from sales.ProductAffinity.

ProductAffinity holds how many orders contained each pair of products (refreshed by the sales
app's nightly job, 02:30, from the same order lines). Here each product's order count and the
number of orders are added — both counted like the affinities: orders not cancelled, a product
once per order — and analytics.metrics.pair_metrics gives support, confidence and lift.
"""

import numpy as np
from django.db import connection

from analytics.metrics import pair_metrics
from analytics.models import ProductPair
from analytics.services.compute.sql import column, fetch_columns, table
from crm_site.bulkload import bulk_table
from sales.models import Order, OrderLine, ProductAffinity

I64 = np.int64


def _product_orders() -> tuple[np.ndarray, np.ndarray, int]:
    """(product ids ascending, orders containing each, orders with any line)."""
    line, order = table(OrderLine), table(Order)
    cancelled = Order.Status.CANCELLED.value
    line_order, line_product = f"l.{column(OrderLine, 'order')}", f"l.{column(OrderLine, 'product')}"
    order_id, status = f"o.{column(Order, 'id')}", f"o.{column(Order, 'status')}"
    products, orders = fetch_columns(
        f"""SELECT {line_product}, COUNT(DISTINCT {line_order}) FROM {line} l
            JOIN {order} o ON {order_id} = {line_order} WHERE {status} <> %s
            GROUP BY 1 ORDER BY 1""",  # noqa: S608  (identifiers from the models; the value is a parameter)
        [cancelled],
        [I64, I64],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COUNT(*) FROM {order} o WHERE {status} <> %s
                AND EXISTS (SELECT 1 FROM {line} l WHERE {line_order} = {order_id})""",  # noqa: S608
            [cancelled],
        )
        total = cursor.fetchone()[0] or 0
    return products, orders, int(total)


def refresh_product_pairs() -> int:
    """Empty ProductPair and write every affinity with its metrics; returns the rows written."""
    products, orders, total = _product_orders()
    affinity = table(ProductAffinity)
    product, other, together = fetch_columns(
        f"""SELECT {column(ProductAffinity, "product")}, {column(ProductAffinity, "other")},
                   {column(ProductAffinity, "orders")} FROM {affinity}""",  # noqa: S608
        [],
        [I64, I64, I64],
    )

    def orders_of(ids: np.ndarray) -> np.ndarray:
        if not len(products):
            return np.zeros(len(ids))
        position = np.searchsorted(products, ids).clip(max=len(products) - 1)
        return np.where(products[position] == ids, orders[position], 0)

    support, confidence, lift = pair_metrics(together, orders_of(product), orders_of(other), total)
    # A pair whose product has no order left (cancelled since the affinities were counted) has
    # no meaningful ratio: left out.
    keep = np.isfinite(support) & np.isfinite(confidence) & np.isfinite(lift)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table(ProductPair)}")  # noqa: S608
    writer = bulk_table(ProductPair)
    rows = zip(
        product[keep].tolist(),
        other[keep].tolist(),
        together[keep].tolist(),
        support[keep].tolist(),
        confidence[keep].tolist(),
        lift[keep].tolist(),
        strict=True,
    )
    for product_id, other_id, count, pair_support, pair_confidence, pair_lift in rows:
        writer.add(
            product_id=product_id,
            other_id=other_id,
            orders=count,
            support=pair_support,
            confidence=pair_confidence,
            lift=pair_lift,
        )
    return writer.flush()
