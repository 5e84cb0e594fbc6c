"""The analytics computation end to end on a small base: what it writes (CustomerStats,
CustomerValue, DailyFact, every snapshot kind, ProductPair), the run's record, one run at a time,
failures, the Celery tasks (eager) and the stale-run guard.

The base, as of 15 June 2026 (days before today):

    customer  owner     purchases (days ago: net amount)          cost of goods
    alice     rep       300: 1000, 200: 1000, 100: 1000, 10: 600+400  40% of the amount
    bob       rep       400: 2000, 30: 3000                       40%
    carol     rep2      250: 500                                  40%
    dave      outsider  700: 200                                  40%
    erin      outsider  190: 300, 185: 300                        40%
    frank     -         (a cancelled order and a draft: no purchase)

Alice's two orders ten days ago are one purchase. Every order is invoiced and paid the day it
was placed.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import AnalyticsSettings, ComputeRun, CustomerValue, DailyFact, ProductPair, ReportSnapshot
from analytics.periods import SNAPSHOT_PERIODS
from analytics.services.compute import STEP_LABELS, facts, models_fit, runner
from analytics.services.runs import STALE_AFTER, compute_request, compute_run_now
from analytics.tasks import compute_run, nightly
from customers.models import Customer, CustomerGroup, CustomerStats
from sales.models import Invoice, LossReason, Opportunity, Order, ProductAffinity
from service.models import SatisfactionSurvey, Ticket
from tests.factories import CustomerFactory
from tests.sales.factories import OpportunityFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
TODAY = datetime.date(2026, 6, 15)
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=TEHRAN)
PURCHASES = {
    "alice": [(300, [1000]), (200, [1000]), (100, [1000]), (10, [600, 400])],
    "bob": [(400, [2000]), (30, [3000])],
    "carol": [(250, [500])],
    "dave": [(700, [200])],
    "erin": [(190, [300]), (185, [300])],
}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def at(days_ago: int, hour: int = 11) -> datetime.datetime:
    return datetime.datetime.combine(TODAY - datetime.timedelta(days=days_ago), datetime.time(hour), tzinfo=TEHRAN)


def sale(customer: Customer, days_ago: int, amount: int, *, status=Order.Status.CONFIRMED) -> Order:
    order = OrderFactory(
        customer=customer,
        owner=customer.owner,
        status=status,
        ordered_at=at(days_ago),
        subtotal=Decimal(amount),
        cost_total=Decimal(amount) * Decimal("0.4"),
    )
    if status in (Order.Status.CONFIRMED, Order.Status.DELIVERED):
        Invoice.objects.create(
            number=f"INV-{order.pk}",
            order=order,
            customer=customer,
            status=Invoice.Status.PAID,
            issued_on=order.ordered_at.date(),
            due_on=order.ordered_at.date(),
            subtotal=Decimal(amount),
            paid_at=at(days_ago, 16),
        )
    return order


@pytest.fixture
def base(rep, rep2, outsider_rep):
    owners = {"alice": rep, "bob": rep, "carol": rep2, "dave": outsider_rep, "erin": outsider_rep}
    customers = {}
    for name, purchases in PURCHASES.items():
        owner = owners[name]
        customers[name] = CustomerFactory(name=name, owner=owner, team=owner.team)
        Customer.objects.filter(pk=customers[name].pk).update(created_at=at(800))
        for days_ago, amounts in purchases:
            for amount in amounts:
                sale(customers[name], days_ago, amount)
    customers["frank"] = CustomerFactory(name="frank")
    sale(customers["frank"], 5, 999, status=Order.Status.CANCELLED)
    sale(customers["frank"], 4, 999, status=Order.Status.DRAFT)
    return customers


def run_done() -> ComputeRun:
    run = compute_run_now()
    assert run.status == ComputeRun.Status.DONE, run.error
    return run


def stats_of(customers: dict) -> dict:
    rows = CustomerStats.objects.in_bulk([customer.pk for customer in customers.values()])
    return {name: rows[customer.pk] for name, customer in customers.items()}


def test_customer_figures(base):
    # A stale row for a customer who no longer has figures is reset.
    CustomerStats.objects.create(customer=base["frank"], frequency=9, pareto_class="A", rfm_segment="champions")
    run_done()
    stats = stats_of(base)

    assert {name: row.frequency for name, row in stats.items()} == {
        "alice": 4,  # the two orders of one day are one purchase
        "bob": 2,
        "carol": 1,
        "dave": 1,
        "erin": 2,
        "frank": 0,  # cancelled and draft orders are no purchase
    }
    assert {name: row.recency_days for name, row in stats.items()} == {
        "alice": 10,
        "bob": 30,
        "carol": 250,
        "dave": 700,
        "erin": 185,
        "frank": None,
    }
    assert stats["alice"].monetary == Decimal("4000.00") and stats["bob"].monetary == Decimal("5000.00")

    # Quintile scores over the five buyers: score = 1 + 5 x (customers strictly worse) // 4, at most 5.
    scores = {name: (row.rfm_recency, row.rfm_frequency, row.rfm_monetary) for name, row in stats.items()}
    assert scores == {
        "alice": (5, 5, 4),  # beats 4 on recency, 4 on frequency, 3 on spend (bob spent more)
        "bob": (4, 3, 5),  # erin and bob tie on frequency: both beat carol and dave
        "erin": (3, 3, 3),
        "carol": (2, 1, 2),
        "dave": (1, 1, 1),
        "frank": (None, None, None),
    }
    segments = {name: row.rfm_segment for name, row in stats.items()}
    assert segments == {
        "alice": "champions",  # R5, FM (5 + 4 + 1) // 2 = 5
        "bob": "loyal",  # R4, FM 4
        "erin": "need_attention",  # R3, FM 3
        "carol": "hibernating",  # R2, FM 1
        "dave": "lost",  # R1, FM 1
        "frank": "",
    }

    # Pareto by profit (60% of the paid revenue) over the last 12 months: alice 2,400, bob 1,800
    # (his purchase 400 days ago is outside), erin 360, carol 300, dave nothing in the period.
    # Of 4,860: alice and bob make 86.4% (bob starts below 80%) -> A; erin starts at 86.4% -> B;
    # carol starts at 93.8%, below 95% -> B.
    assert {name: row.pareto_class for name, row in stats.items()} == {
        "alice": "A",
        "bob": "A",
        "erin": "B",
        "carol": "B",
        "dave": "C",
        "frank": "C",
    }
    values = CustomerValue.objects.in_bulk([customer.pk for customer in base.values()])
    assert values[base["bob"].pk].period_profit == Decimal("1800.00")
    assert values[base["dave"].pk].period_profit == Decimal("0.00")

    # Churn: everyone who bought has a risk in [0, 1]; the value at risk is clv x risk.
    for name in ("alice", "bob", "carol", "dave", "erin"):
        row = stats[name]
        assert 0 <= row.churn_risk <= 1, name
        assert row.value_at_risk is not None and row.value_at_risk >= 0
        assert row.clv_historic == values[base[name].pk].clv_historic
    assert stats["dave"].churn_risk > stats["alice"].churn_risk  # 700 days silent against 10
    assert stats["frank"].churn_risk is None and stats["frank"].pareto_class == "C"
    assert stats["frank"].rfm_segment == "" and stats["frank"].frequency == 0


def test_daily_facts(base):
    run_done()
    totals = {metric: Decimal(0) for metric in DailyFact.Metric.values}
    for metric, value in DailyFact.objects.values_list("metric", "value"):
        totals[metric] += value
    amounts = [amount for purchases in PURCHASES.values() for _days, day_amounts in purchases for amount in day_amounts]
    assert totals["revenue"] == sum(amounts)  # confirmed orders only
    assert totals["cogs"] == sum(amounts) * Decimal("0.4")
    assert totals["orders"] == len(amounts) == 11
    assert totals["new_customers"] == 5
    # Crossed 180 days without a purchase by today: carol (70 days ago), dave, erin (5 days ago).
    assert totals["lost_customers"] == 3
    # Per owner and day: bob's two purchases are the rep's, 400 and 30 days ago.
    bob_owner = base["bob"].owner
    days = set(DailyFact.objects.filter(metric="new_customers", owner=bob_owner).values_list("day", flat=True))
    assert days == {TODAY - datetime.timedelta(days=400), TODAY - datetime.timedelta(days=300)}
    erin_lost = DailyFact.objects.get(metric="lost_customers", day=TODAY - datetime.timedelta(days=5))
    assert (erin_lost.owner, erin_lost.team, erin_lost.value) == (base["erin"].owner, base["erin"].team, 1)


def test_every_snapshot(base):
    # Two products bought together in one order, for the basket pairs.
    tv, stand = ProductFactory(), ProductFactory()
    order = Order.objects.filter(customer=base["alice"]).first()
    OrderLineFactory(order=order, product=tv)
    OrderLineFactory(order=order, product=stand)
    OrderLineFactory(order=Order.objects.filter(customer=base["bob"]).first(), product=tv)
    ProductAffinity.objects.create(product=tv, other=stand, orders=1)
    ProductAffinity.objects.create(product=stand, other=tv, orders=1)

    run_done()
    snapshots = {(row.kind, row.variant): row.data for row in ReportSnapshot.objects.all()}
    expected = {("pareto", f"{measure}:{months}") for measure in ("profit", "revenue") for months in (12, 0)}
    expected |= {("rfm", ""), ("forecast", ""), ("model", "")}
    expected |= {(kind, key) for kind in ("retention", "churn_lost") for key in SNAPSHOT_PERIODS}
    assert set(snapshots) == expected

    pareto = snapshots[("pareto", "profit:12")]
    assert pareto["customers"] == 4 and pareto["total"] == "4860.00"  # dave had nothing in the period
    assert pareto["classes"]["A"] == {"customers": 2, "value": "4200.00"}
    assert pareto["classes"]["B"] == {"customers": 2, "value": "660.00"}
    assert pareto["first_day"] == "2025-06-16" and pareto["last_day"] == "2026-06-15"
    revenue_all = snapshots[("pareto", "revenue:0")]
    assert revenue_all["customers"] == 5 and revenue_all["total"] == "10300.00"
    assert revenue_all["first_day"] is None

    rfm = snapshots[("rfm", "")]
    cells = {(cell["r"], cell["f"]): cell for cell in rfm["cells"]}
    assert len(cells) == 25 and cells[(5, 5)] == {"r": 5, "f": 5, "customers": 1, "monetary": "4000.00"}
    segments = {row["code"]: row for row in rfm["segments"]}
    assert segments["loyal"]["customers"] == 1 and segments["loyal"]["recency_days"] == 30.0

    # Retention over the last 90 days: alice bought in the 90 days before (100 days ago) and again.
    retention = snapshots[("retention", "last_90_days")]
    assert retention["all"] == {"base": 1, "retained": 1}
    assert retention["owners"] == {str(base["alice"].owner_id): {"base": 1, "retained": 1}}
    assert retention["teams"] == {str(base["alice"].team_id): {"base": 1, "retained": 1}}
    # The period before, against the 90 days before it: alice (200), carol (250) and erin (185,
    # 190) bought 180 to 269 days ago; only alice bought again 90 to 179 days ago.
    assert retention["previous"]["all"] == {"base": 3, "retained": 1}

    lost = snapshots[("churn_lost", "last_90_days")]
    assert lost["total"] == 2  # carol crossed 180 days 70 days ago, erin 5 days ago
    reasons = {row["reason"]: row["customers"] for row in lost["by_reason"]}
    assert reasons["no_purchase"] == 2 and reasons["marked_lost"] == 0
    assert lost["by_group"] == [{"group_id": None, "name": "No group", "customers": 2}]

    forecast = snapshots[("forecast", "")]
    assert len(forecast["forecast"]["months"]) == 6 and forecast["forecast"]["months"][0] == "2026-06"
    assert forecast["history"]["months"][-1] == "2026-05"
    model = snapshots[("model", "")]
    assert model["customers"] == 5 and model["repeat_customers"] == 3
    assert set(model["bgnbd"]) >= {"r", "alpha", "a", "b", "log_likelihood"}

    pair = ProductPair.objects.get(product=tv, other=stand)
    # Of the 2 orders with lines, the tv is in both and the stand in one.
    assert (pair.orders, pair.support, pair.confidence, pair.lift) == (1, 0.5, 0.5, 1.0)
    assert ProductPair.objects.get(product=stand, other=tv).confidence == 1.0


def test_customers_lost_by_reason_and_group(base):
    vip = CustomerGroup.objects.create(name="VIP", path="vip/")
    base["bob"].groups.add(vip)
    base["carol"].groups.add(vip)
    # Dave is marked lost today (his history records the change); bob lost a deal on price 20
    # days ago; erin complained 30 days ago; carol answered a survey with 2 of 5 40 days ago.
    base["dave"].status = Customer.Status.LOST
    base["dave"].save()
    price, _created = LossReason.objects.get_or_create(name="Price")
    OpportunityFactory(
        customer=base["bob"],
        status=Opportunity.Status.LOST,
        loss_reason=price,
        closed_at=at(20),
        owner=base["bob"].owner,
    )
    TicketFactory(customer=base["erin"], kind=Ticket.Kind.COMPLAINT, created_at=at(30))
    surveyed = TicketFactory(customer=base["carol"], created_at=at(45))
    SatisfactionSurvey.objects.create(ticket=surveyed, customer=base["carol"], token="t-1", answered_at=at(40), score=2)

    run_done()
    lost = ReportSnapshot.objects.get(kind="churn_lost", variant="last_90_days").data
    # Carol and erin crossed 180 days without a purchase, dave was marked lost, bob lost a deal.
    assert lost["total"] == 4
    reasons = {(row["reason"], row.get("loss_reason_id")): row for row in lost["by_reason"]}
    assert {key: row["customers"] for key, row in reasons.items()} == {
        ("no_purchase", None): 2,
        ("marked_lost", None): 1,
        ("deal_lost", price.pk): 1,
        ("complaint", None): 1,  # erin
        ("low_csat", None): 1,  # carol
    }
    assert reasons[("deal_lost", price.pk)]["label"] == "Deal lost: Price"
    assert reasons[("no_purchase", None)]["label"] == "No purchase for 180 days"
    assert lost["by_group"] == [
        {"group_id": vip.pk, "name": "VIP", "customers": 2},  # bob and carol
        {"group_id": None, "name": "No group", "customers": 2},  # dave and erin
    ]
    # Last year (2025) lost only dave, who crossed 180 days without a purchase 520 days ago.
    assert ReportSnapshot.objects.get(kind="churn_lost", variant="last_year").data["total"] == 1


def test_the_run_records_its_steps(base):
    run = run_done()
    run.refresh_from_db()
    assert [step["name"] for step in run.steps] == list(STEP_LABELS)
    assert all(step["seconds"] >= 0 and isinstance(step["rows"], int) for step in run.steps)
    assert run.steps[0]["rows"] == 6  # customers read
    assert run.progress == 100 and run.step == "" and run.active is None
    assert run.started_at and run.finished_at and run.error == ""
    assert run.summary["base_customers"] == 6 and run.summary["buyers"] == 5


def _written() -> tuple:
    values = sorted(CustomerValue.objects.values_list(*[f.attname for f in CustomerValue._meta.concrete_fields][:-1]))
    stats = sorted(
        CustomerStats.objects.values_list(
            *[f.attname for f in CustomerStats._meta.concrete_fields if f.attname != "computed_at"]
        )
    )
    daily = sorted(DailyFact.objects.values_list("day", "metric", "owner_id", "team_id", "value"))
    reports = sorted(ReportSnapshot.objects.values_list("kind", "variant", "data"), key=lambda row: row[:2])
    return values, stats, daily, reports


def test_running_twice_gives_the_same_rows(base):
    run_done()
    first = _written()
    run_done()
    assert _written() == first
    assert ComputeRun.objects.filter(status=ComputeRun.Status.DONE).count() == 2


def test_the_queries_do_not_grow_with_the_customers(rep):
    def add_customers(count: int) -> None:
        for index in range(count):
            customer = CustomerFactory(owner=rep, team=rep.team)
            sale(customer, 20 + index, 100 + index)
            sale(customer, 10 + index, 100)

    AnalyticsSettings.load()  # the first run would create the settings row
    add_customers(4)
    with CaptureQueriesContext(connection) as small:
        run_done()
    add_customers(8)
    with CaptureQueriesContext(connection) as larger:
        run_done()
    assert len(larger) == len(small)


def test_one_run_at_a_time(base, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = compute_request(user=manager)
    assert queued.status == ComputeRun.Status.QUEUED and queued.active is True and len(callbacks) == 1
    with pytest.raises(ValidationError) as refused:
        compute_request(user=manager)
    assert "already being computed" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        compute_run_now()
    assert nightly.delay().get()["status"] == "skipped"
    assert ComputeRun.objects.count() == 1

    # The queued run's task runs it; delivered twice, the second does nothing.
    assert compute_run.delay(queued.pk).get()["status"] == ComputeRun.Status.DONE
    assert compute_run.delay(queued.pk).get()["status"] == "skipped"
    queued.refresh_from_db()
    assert queued.status == ComputeRun.Status.DONE and queued.active is None
    assert compute_request(user=manager).status == ComputeRun.Status.QUEUED  # free again


def test_recompute_now_runs_through_the_task_after_commit(base, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = compute_request(user=manager)
    run.refresh_from_db()
    assert run.status == ComputeRun.Status.DONE and run.requested_by == manager
    assert CustomerStats.objects.filter(customer=base["alice"], rfm_segment="champions").exists()


def test_an_unreachable_broker_fails_the_run_at_once(manager, monkeypatch, django_capture_on_commit_callbacks):
    def unreachable(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(compute_run, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        run = compute_request(user=manager)
    run.refresh_from_db()
    assert run.status == ComputeRun.Status.FAILED and run.active is None
    assert "could not be reached" in run.error


def test_the_nightly_task(base):
    result = nightly.delay().get()
    run = ComputeRun.objects.get()
    assert result == {"run": run.pk, "status": ComputeRun.Status.DONE}
    assert run.requested_by is None


def test_a_failing_step_marks_the_run_failed_and_frees_the_lock(base, monkeypatch):
    run_done()
    facts_before = sorted(DailyFact.objects.values_list("day", "metric", "owner_id", "value"))

    def broken(*args, **kwargs):
        raise RuntimeError("the customers' days are unreadable")

    # Fails after the step deleted and rewrote most metrics: the step's writes are rolled back.
    monkeypatch.setattr(facts, "_customer_days", broken)
    run = compute_run_now()
    run.refresh_from_db()
    assert run.status == ComputeRun.Status.FAILED and run.active is None and run.finished_at
    assert "RuntimeError: the customers' days are unreadable" in run.error
    assert run.step == "daily_facts"
    assert [step["name"] for step in run.steps] == list(STEP_LABELS)[:6]  # the steps before it
    assert sorted(DailyFact.objects.values_list("day", "metric", "owner_id", "value")) == facts_before

    monkeypatch.undo()
    assert run_done().status == ComputeRun.Status.DONE


def test_a_failure_before_any_step(base, monkeypatch):
    def broken(cls):
        raise RuntimeError("no settings")

    monkeypatch.setattr(runner.Assumptions, "load", classmethod(broken))
    run = compute_run_now()
    assert run.status == ComputeRun.Status.FAILED and run.active is None
    assert ComputeRun.objects.get(pk=run.pk).error == "RuntimeError: no settings"


def test_a_stale_run_does_not_lock_the_button_for_ever(base, manager, django_capture_on_commit_callbacks):
    stuck = ComputeRun.objects.create(status=ComputeRun.Status.RUNNING, started_at=NOW - STALE_AFTER)
    with pytest.raises(ValidationError):
        compute_request(user=manager)  # exactly two hours: still running
    ComputeRun.objects.filter(pk=stuck.pk).update(started_at=NOW - STALE_AFTER - datetime.timedelta(minutes=1))
    lost_message = ComputeRun.objects.filter(pk=stuck.pk)
    with django_capture_on_commit_callbacks(execute=False):
        fresh = compute_request(user=manager)
    stuck = lost_message.get()
    assert stuck.status == ComputeRun.Status.FAILED and stuck.active is None and "interrupted" in stuck.error
    assert fresh.status == ComputeRun.Status.QUEUED

    # A queued run whose message was lost is failed the same way.
    ComputeRun.objects.filter(pk=fresh.pk).update(created_at=NOW - datetime.timedelta(hours=3))
    assert compute_run_now().status == ComputeRun.Status.DONE
    assert ComputeRun.objects.get(pk=fresh.pk).status == ComputeRun.Status.FAILED


def test_predictions_the_model_cannot_give_are_left_empty(base, monkeypatch):
    # As when a fit on a tiny base sits on a bound and the closed form overflows.
    monkeypatch.setattr(models_fit, "expected_purchases", lambda params, t, x, *rest: np.full(len(x), np.nan))
    run = run_done()
    assert "no usable prediction for 5 customers" in run.summary["warning"]
    assert not CustomerValue.objects.filter(clv_predicted__isnull=False).exists()
    assert not CustomerStats.objects.filter(p_alive__isnull=False).exists()
    alice = CustomerStats.objects.get(customer=base["alice"])
    assert alice.churn_risk is not None  # recency still tells
    assert alice.value_at_risk == (alice.clv_historic * Decimal(alice.churn_risk)).quantize(Decimal("0.01"))


def test_an_empty_base(db):
    run = run_done()
    assert run.summary["base_customers"] == 0 and run.summary["bgnbd"] is None
    assert run.summary["error"]  # why the models could not be fitted
    assert ReportSnapshot.objects.filter(kind="pareto").count() == 4
