"""Refreshing the tables product suggestions read: co-purchases and popularity per customer group.

Both are recomputed from the order lines by two set-based statements (INSERT ... SELECT with
GROUP BY) inside one transaction that first deletes the old rows: readers see the old figures
until the new ones commit, and the work is done by the database, never by a Python loop over
order lines. Each statement first reduces the lines to distinct (order, product) or
(customer, product) pairs, so a product on two lines of one order counts once.

Cancelled orders are left out. Both statements are plain SQL that runs alike on PostgreSQL and
SQLite.
"""

from django.db import connection, transaction

from customers.models import Customer
from sales.models import GroupProductPopularity, Order, OrderLine, ProductAffinity

# Partners kept per product, most frequent first. Suggestions read at most 60 per picked
# product and the product page 10; the long tail of pairs bought together once or twice would
# multiply the table (and the nightly rewrite) by twenty for nothing.
MAX_PARTNERS = 100


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def _affinity_sql() -> str:
    line, order, affinity = _table(OrderLine), _table(Order), _table(ProductAffinity)
    return f"""
        INSERT INTO {affinity} ({_column(ProductAffinity, "product")}, {_column(ProductAffinity, "other")},
                                {_column(ProductAffinity, "orders")})
        WITH bought AS (
            SELECT DISTINCT l.{_column(OrderLine, "order")} AS order_id, l.{_column(OrderLine, "product")} AS product_id
            FROM {line} l JOIN {order} o ON o.{_column(Order, "id")} = l.{_column(OrderLine, "order")}
            WHERE o.{_column(Order, "status")} <> %s
        )
        , pairs AS (
            SELECT a.product_id AS product_id, b.product_id AS other_id, COUNT(*) AS orders
            FROM bought a JOIN bought b ON b.order_id = a.order_id AND b.product_id <> a.product_id
            GROUP BY a.product_id, b.product_id
        ), ranked AS (
            SELECT product_id, other_id, orders,
                   ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY orders DESC, other_id) AS position
            FROM pairs
        )
        SELECT product_id, other_id, orders FROM ranked WHERE position <= %s
    """  # noqa: S608  (identifiers come from the models, the value is a parameter)


def _popularity_sql() -> str:
    line, order, popularity = _table(OrderLine), _table(Order), _table(GroupProductPopularity)
    through = Customer.groups.through
    return f"""
        INSERT INTO {popularity} ({_column(GroupProductPopularity, "group")},
                                  {_column(GroupProductPopularity, "product")},
                                  {_column(GroupProductPopularity, "customers")})
        WITH bought AS (
            SELECT DISTINCT o.{_column(Order, "customer")} AS customer_id,
                            l.{_column(OrderLine, "product")} AS product_id
            FROM {line} l JOIN {order} o ON o.{_column(Order, "id")} = l.{_column(OrderLine, "order")}
            WHERE o.{_column(Order, "status")} <> %s
        )
        SELECT m.{_column(through, "customergroup")}, b.product_id, COUNT(*)
        FROM bought b JOIN {_table(through)} m ON m.{_column(through, "customer")} = b.customer_id
        GROUP BY m.{_column(through, "customergroup")}, b.product_id
    """  # noqa: S608  (identifiers come from the models, the value is a parameter)


@transaction.atomic
def suggestions_refresh() -> dict:
    """Recompute ProductAffinity (both directions of every pair of distinct products bought in
    the same order, counted by orders; each product's MAX_PARTNERS most frequent partners) and
    GroupProductPopularity (distinct customers of each
    group who bought each product). Idempotent: running it twice gives the same rows.

    Returns {"affinities": <rows written>, "group_popularities": <rows written>}.
    """
    cancelled = Order.Status.CANCELLED.value
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The pair aggregate sorts a few million rows at a million order lines: in memory
            # rather than spilled to disk, for this transaction only.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(f"DELETE FROM {_table(ProductAffinity)}")  # noqa: S608
        cursor.execute(_affinity_sql(), [cancelled, MAX_PARTNERS])
        affinities = cursor.rowcount
        cursor.execute(f"DELETE FROM {_table(GroupProductPopularity)}")  # noqa: S608
        cursor.execute(_popularity_sql(), [cancelled])
        popularities = cursor.rowcount
    return {"affinities": affinities, "group_popularities": popularities}
