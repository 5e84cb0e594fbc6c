"""DailyFact, rebuilt: one figure per local day, metric, owner and team, so that the dashboard
sums a few thousand rows for any period instead of a million order lines.

The table is emptied and refilled in the run's transaction (readers see the old figures until it
commits). Each metric is one INSERT ... SELECT ... GROUP BY that the database runs on its own
rows, in SQL that PostgreSQL and SQLite both accept; new and lost customers come from the
purchase days the run already holds (the same first and last purchase as CustomerValue), grouped
with numpy and written in bulk.

Whose figure: the owner and team of the record counted — the order's for revenue, cost of goods,
returns and orders; the lead's, the opportunity's, the ticket's (also for its satisfaction
answers); the customer's for new and lost customers.
"""

from decimal import Decimal

import numpy as np
from django.db import connection

from analytics.models import DailyFact
from analytics.services.compute.sql import column, days_as_dates, local_date, table
from analytics.services.compute.transactions import SALE_STATUSES, CustomerBase
from analytics.services.compute.values import HistoricValues
from crm_site.bulkload import bulk_table
from sales.models import Lead, Opportunity, Order, OrderReturn
from service.models import SatisfactionSurvey, Ticket

Metric = DailyFact.Metric


def _orders(value_sql: str) -> tuple[str, list]:
    day, params = local_date(f"o.{column(Order, 'ordered_at')}")
    sql = f"""
        SELECT {day} AS d, o.{column(Order, "owner")} AS owner_id, o.{column(Order, "team")} AS team_id,
               {value_sql} AS v
        FROM {table(Order)} o WHERE o.{column(Order, "status")} IN (%s, %s)
    """  # noqa: S608  (identifiers from the models; values are parameters)
    return sql, [*params, *SALE_STATUSES]


def _returns(value_sql: str) -> tuple[str, list]:
    sql = f"""
        SELECT r.{column(OrderReturn, "returned_on")} AS d, o.{column(Order, "owner")} AS owner_id,
               o.{column(Order, "team")} AS team_id, {value_sql} AS v
        FROM {table(OrderReturn)} r JOIN {table(Order)} o ON o.{column(Order, "id")} = r.{column(OrderReturn, "order")}
    """  # noqa: S608
    return sql, []


def _cost_of_goods() -> tuple[str, list]:
    """The orders' cost of goods, less the cost of what came back (on the day it came back)."""
    sold, sold_params = _orders(f"o.{column(Order, 'cost_total')}")
    back, back_params = _returns(f"-r.{column(OrderReturn, 'cost_recovered')}")
    return f"{sold} UNION ALL {back}", [*sold_params, *back_params]


def _records(model, when: str, *, where: str = "", params: list | None = None, value: str = "1") -> tuple[str, list]:
    """Rows of a model with its own owner and team, on the local day of ``when``."""
    day, day_params = local_date(f"x.{column(model, when)}")
    sql = f"""
        SELECT {day} AS d, x.{column(model, "owner")} AS owner_id, x.{column(model, "team")} AS team_id, {value} AS v
        FROM {table(model)} x WHERE x.{column(model, when)} IS NOT NULL {where}
    """  # noqa: S608
    return sql, [*day_params, *(params or [])]


def _satisfaction(value_sql: str) -> tuple[str, list]:
    day, params = local_date(f"s.{column(SatisfactionSurvey, 'answered_at')}")
    sql = f"""
        SELECT {day} AS d, t.{column(Ticket, "owner")} AS owner_id, t.{column(Ticket, "team")} AS team_id,
               {value_sql} AS v
        FROM {table(SatisfactionSurvey)} s
        JOIN {table(Ticket)} t ON t.{column(Ticket, "id")} = s.{column(SatisfactionSurvey, "ticket")}
        WHERE s.{column(SatisfactionSurvey, "answered_at")} IS NOT NULL
              AND s.{column(SatisfactionSurvey, "score")} IS NOT NULL
    """  # noqa: S608
    return sql, params


def _sources() -> dict[str, tuple[str, list]]:
    """Per metric, the rows (d, owner_id, team_id, v) that it sums."""
    order = f"o.{column(Order, 'subtotal')} - o.{column(Order, 'discount_total')}"
    lead_status = f"AND x.{column(Lead, 'status')} = %s"
    deal_status = f"AND x.{column(Opportunity, 'status')} = %s"
    resolved, due = f"x.{column(Ticket, 'resolved_at')}", f"x.{column(Ticket, 'resolution_due_at')}"
    return {
        Metric.REVENUE: _orders(order),
        Metric.COST_OF_GOODS: _cost_of_goods(),
        Metric.RETURNS: _returns(f"r.{column(OrderReturn, 'amount')}"),
        Metric.ORDERS: _orders("1"),
        Metric.LEADS: _records(Lead, "created_at"),
        Metric.LEADS_CONVERTED: _records(Lead, "created_at", where=lead_status, params=[Lead.Status.CONVERTED.value]),
        Metric.DEALS_WON: _records(Opportunity, "closed_at", where=deal_status, params=[Opportunity.Status.WON.value]),
        Metric.DEALS_LOST: _records(
            Opportunity, "closed_at", where=deal_status, params=[Opportunity.Status.LOST.value]
        ),
        Metric.TICKETS_RESOLVED: _records(Ticket, "resolved_at"),
        Metric.TICKETS_IN_SLA: _records(Ticket, "resolved_at", where=f"AND ({due} IS NULL OR {resolved} <= {due})"),
        Metric.CSAT_ANSWERS: _satisfaction("1"),
        Metric.CSAT_SCORE: _satisfaction(f"s.{column(SatisfactionSurvey, 'score')}"),
    }


def _insert_metric(metric: str, rows_sql: str, params: list) -> int:
    fact = table(DailyFact)
    names = ", ".join(column(DailyFact, name) for name in ("day", "metric", "owner", "team", "value"))
    sql = f"""
        INSERT INTO {fact} ({names})
        SELECT f.d, %s, f.owner_id, f.team_id, SUM(f.v) FROM ({rows_sql}) f
        GROUP BY f.d, f.owner_id, f.team_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(metric), *params])
        return cursor.rowcount


def _customer_days(metric: str, days: np.ndarray, base: CustomerBase, who: np.ndarray) -> int:
    """Count customers per (day, owner, team) with numpy and write the counts in bulk."""
    if not who.any():
        return 0
    keys = np.stack([days[who], base.owner[who], base.team[who]], axis=1)
    groups, counts = np.unique(keys, axis=0, return_counts=True)
    writer = bulk_table(DailyFact)
    dates = days_as_dates(groups[:, 0]).tolist()
    for day, owner, team, count in zip(
        dates, groups[:, 1].tolist(), groups[:, 2].tolist(), counts.tolist(), strict=True
    ):
        writer.add(day=day, metric=str(metric), owner_id=owner or None, team_id=team or None, value=Decimal(count))
    return writer.flush()


def rebuild_daily_facts(base: CustomerBase, values: HistoricValues, *, today: int, inactive_days: int) -> int:
    """Empty DailyFact and write every metric again; returns the rows written."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table(DailyFact)}")  # noqa: S608
    written = sum(_insert_metric(metric, sql, params) for metric, (sql, params) in _sources().items())
    written += _customer_days(Metric.NEW_CUSTOMERS, values.first_purchase, base, values.bought)
    crossed = values.last_purchase + inactive_days
    written += _customer_days(Metric.LOST_CUSTOMERS, crossed, base, values.bought & (crossed <= today))
    return written
