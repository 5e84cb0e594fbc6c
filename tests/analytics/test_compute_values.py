"""Historic lifetime value, computed by hand: one customer with every kind of cash flow, each
discounted to the day the customer was acquired at 10% a year.

The customer is acquired on 1 January 2016 (day 0). The flows fall on day 0, on 1 January 2020
(day 1461, four years of 365.25 days: a factor of exactly 1.1^-4) and on 1 January 2024 (day
2922, 1.1^-8), so every discounted figure below is a short formula.
"""

import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from analytics.models import AnalyticsSettings, CustomerValue, TicketCost
from analytics.services.runs import compute_run_now
from customers.models import Customer, CustomerStats
from marketing.models import Campaign, CampaignRecipient, CampaignRun
from sales.models import Activity, Invoice, Lead, Order, OrderReturn
from service.models import Ticket
from tests.factories import CustomerFactory, UserFactory
from tests.sales.factories import ActivityFactory, OrderFactory
from tests.service.factories import TicketFactory, category

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
DAY_0 = datetime.date(2016, 1, 1)
YEAR_4 = datetime.date(2020, 1, 1)  # DAY_0 + 1461 days
YEAR_8 = datetime.date(2024, 1, 1)  # DAY_0 + 2922 days
NOW = datetime.datetime(2024, 1, 10, 12, 0, tzinfo=TEHRAN)
F4 = 1.1**-4  # the discount factor four years on
F8 = 1.1**-8


def noon(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TEHRAN)


def money(amount: float) -> Decimal:
    """An amount rounded to the cent, as the computation stores it."""
    return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def assumptions(db):
    row = AnalyticsSettings.load()
    row.annual_discount_rate = Decimal("10")
    row.cost_per_order = Decimal("10.00")
    row.cost_per_activity = Decimal("5.00")
    row.cost_per_message = Decimal("1.00")  # not used: the campaign records its own cost
    row.save()
    repairs = category("Repairs")
    # The most specific row wins: Repairs + urgent, over Repairs alone, urgent alone and the default.
    TicketCost.objects.create(cost_per_ticket=Decimal("1.00"), cost_per_hour=Decimal("0.50"))
    TicketCost.objects.create(priority=Ticket.Priority.URGENT, cost_per_ticket=Decimal("7.00"))
    TicketCost.objects.create(category=repairs, cost_per_ticket=Decimal("15.00"), cost_per_hour=Decimal("1.00"))
    TicketCost.objects.create(
        category=repairs, priority=Ticket.Priority.URGENT, cost_per_ticket=Decimal("20.00"), cost_per_hour=Decimal("2")
    )
    return row


def customer_created(day: datetime.date, **fields) -> Customer:
    customer = CustomerFactory(**fields)
    Customer.objects.filter(pk=customer.pk).update(created_at=noon(day, 9))
    return customer


def campaign_with_messages(owner, recipients: list[Customer], *, sent_on: datetime.date, **costs) -> Campaign:
    campaign = Campaign.objects.create(name="Spring sale", owner=owner, tracking_code="spring", **costs)
    run = CampaignRun.objects.create(campaign=campaign, started_at=noon(sent_on, 10))
    CampaignRecipient.objects.bulk_create(
        CampaignRecipient(
            run=run,
            campaign=campaign,
            customer=customer,
            status=CampaignRecipient.Status.QUEUED,
            processed_at=noon(sent_on, 10),
        )
        for customer in recipients
    )
    return campaign


@pytest.fixture
def customer(assumptions):
    rep = UserFactory(username="value-rep")
    customer = customer_created(DAY_0, acquisition_cost=Decimal("100.00"))

    # A sale on day 1461: 1,000 less a 100 discount, goods that cost 500; invoiced and paid that day.
    order = OrderFactory(
        customer=customer,
        owner=rep,
        status=Order.Status.DELIVERED,
        ordered_at=noon(YEAR_4),
        subtotal=Decimal("1000.00"),
        discount_total=Decimal("100.00"),
        cost_total=Decimal("500.00"),
    )
    Invoice.objects.create(
        number="INV-V1",
        order=order,
        customer=customer,
        status=Invoice.Status.PAID,
        issued_on=YEAR_4,
        due_on=YEAR_4,
        subtotal=Decimal("1000.00"),
        discount_total=Decimal("100.00"),
        paid_at=noon(YEAR_4, 15),
    )
    # Four years later part of it comes back: 200 refunded, goods worth 100 back in stock.
    OrderReturn.objects.create(
        number="RET-V1",
        order=order,
        customer=customer,
        returned_on=YEAR_8,
        reason=OrderReturn.Reason.DEFECTIVE,
        amount=Decimal("200.00"),
        cost_recovered=Decimal("100.00"),
    )
    # Two calls done (day 0 and day 1461); an open one and a cancelled one cost nothing.
    for day in (DAY_0, YEAR_4):
        ActivityFactory(
            customer=customer, assignee=rep, status=Activity.Status.DONE, due_at=noon(day), done_at=noon(day)
        )
    ActivityFactory(customer=customer, assignee=rep, status=Activity.Status.OPEN, due_at=noon(YEAR_8))
    ActivityFactory(customer=customer, assignee=rep, status=Activity.Status.CANCELLED, due_at=noon(YEAR_4))

    # A campaign that cost 4 x 2 + 40 = 48 reached four customers: 12 a message.
    others = [CustomerFactory() for _ in range(3)]
    campaign_with_messages(
        rep, [customer, *others], sent_on=YEAR_4, cost_per_message=Decimal("2.00"), fixed_cost=Decimal("40.00")
    )
    # An urgent repair ticket open three hours: 20 + 3 x 2 = 26.
    TicketFactory(
        customer=customer,
        category=category("Repairs"),
        priority=Ticket.Priority.URGENT,
        status=Ticket.Status.RESOLVED,
        created_at=noon(YEAR_4, 9),
        resolved_at=noon(YEAR_4, 12),
    )
    return customer


def test_every_component_discounted_to_the_acquisition_day(customer):
    run = compute_run_now()
    assert run.status == run.Status.DONE, run.error

    value = CustomerValue.objects.get(customer=customer)
    assert value.acquired_on == DAY_0
    assert (value.first_purchase_on, value.last_purchase_on) == (YEAR_4, YEAR_4)
    assert (value.orders, value.activities, value.messages, value.tickets) == (1, 2, 1, 1)

    expected = {
        # nominal and discounted: a flow of day 1461 is worth 1.1^-4 of itself on day 0
        "revenue": (Decimal("900.00"), money(900 * F4)),  # paid, net of the discount
        "returns": (Decimal("200.00"), money(200 * F8)),  # refunded on day 2922
        "cost_of_goods": (Decimal("400.00"), money(500 * F4 - 100 * F8)),  # less the goods back
        "order_costs": (Decimal("10.00"), money(10 * F4)),
        "activity_costs": (Decimal("10.00"), money(5 + 5 * F4)),  # day 0 and day 1461
        "message_costs": (Decimal("12.00"), money(12 * F4)),  # 48 shared over 4 messages
        "service_costs": (Decimal("26.00"), money(26 * F4)),  # 20 per ticket + 3 hours x 2
    }
    for name, (nominal, discounted) in expected.items():
        assert getattr(value, name) == nominal, name
        assert getattr(value, f"{name}_pv") == discounted, name
    assert value.acquisition_cost == Decimal("100.00")  # on the day of acquisition: not discounted

    # The total is the sum of the components as shown, to the cent.
    clv = (
        expected["revenue"][1]
        - expected["returns"][1]
        - expected["cost_of_goods"][1]
        - Decimal("100.00")
        - expected["order_costs"][1]
        - expected["activity_costs"][1]
        - expected["message_costs"][1]
        - expected["service_costs"][1]
    )
    assert clv == Decimal("85.34")  # 614.71 - 93.30 - 294.86 - 100 - 6.83 - 8.42 - 8.20 - 17.76
    assert value.clv_historic == clv
    assert CustomerStats.objects.get(customer=customer).clv_historic == clv

    # The key-customer period (the last 12 months) holds only the return: -200 + 100 back.
    assert value.period_revenue == Decimal("0.00")
    assert value.period_profit == Decimal("-100.00")


def test_the_rate_is_a_setting(customer):
    AnalyticsSettings.objects.filter(pk=1).update(annual_discount_rate=Decimal("0"))
    compute_run_now()
    value = CustomerValue.objects.get(customer=customer)
    assert value.revenue_pv == value.revenue == Decimal("900.00")
    assert value.clv_historic == Decimal("900") - 200 - 400 - 100 - 10 - 10 - 12 - 26


def test_ticket_costs_fall_back_from_the_most_specific_row(assumptions):
    customer = customer_created(DAY_0)
    common = {"customer": customer, "status": Ticket.Status.RESOLVED}
    opened, closed = noon(DAY_0, 9), noon(DAY_0, 13)  # four hours each
    TicketFactory(
        category=category("Repairs"), priority=Ticket.Priority.NORMAL, **common, created_at=opened, resolved_at=closed
    )  # Repairs: 15 + 4 x 1
    TicketFactory(
        category=category("Under warranty"),
        priority=Ticket.Priority.LOW,
        **common,
        created_at=opened,
        resolved_at=closed,
    )  # its parent's row, Repairs: 15 + 4 x 1
    TicketFactory(
        category=category("Installation"),
        priority=Ticket.Priority.URGENT,
        **common,
        created_at=opened,
        resolved_at=closed,
    )  # urgent alone: 7 + 4 x 0
    TicketFactory(
        category=category("Installation"),
        priority=Ticket.Priority.NORMAL,
        **common,
        created_at=opened,
        resolved_at=closed,
    )  # the default: 1 + 4 x 0.5
    # Still open: charged until now (NOW is 9 days and 3 hours after it was opened: 219 hours).
    TicketFactory(
        category=None,
        priority=Ticket.Priority.NORMAL,
        customer=customer,
        status=Ticket.Status.OPEN,
        created_at=noon(datetime.date(2024, 1, 1), 9),
    )
    compute_run_now()
    value = CustomerValue.objects.get(customer=customer)
    assert value.tickets == 5
    assert value.service_costs == Decimal("19") + 19 + 7 + 3 + (1 + Decimal("219") * Decimal("0.5"))


def test_a_campaign_shares_its_cost_among_the_customers_it_acquired(assumptions):
    marketer = UserFactory(username="value-marketer")
    first, second = customer_created(YEAR_4), customer_created(YEAR_4)
    own_cost = customer_created(YEAR_4, acquisition_cost=Decimal("7.00"))
    # No message sent; 30 of other costs, shared by the two customers converted from its leads.
    campaign_with_messages(marketer, [], sent_on=YEAR_4, fixed_cost=Decimal("30.00"))
    for customer in (first, second, own_cost):
        Lead.objects.create(
            name=customer.name,
            campaign="spring",
            status=Lead.Status.CONVERTED,
            customer=customer,
            converted_at=noon(YEAR_4),
        )
    compute_run_now()
    costs = dict(CustomerValue.objects.values_list("customer_id", "acquisition_cost"))
    # The campaign acquired three customers (10 each) but the third carries a cost of its own.
    assert costs[first.pk] == costs[second.pk] == Decimal("10.00")
    assert costs[own_cost.pk] == Decimal("7.00")


def test_a_campaign_that_messages_and_acquires_charges_its_money_once(assumptions):
    marketer = UserFactory(username="value-marketer")
    messaged = [customer_created(DAY_0) for _ in range(2)]
    won = customer_created(YEAR_4)
    # Two messages at 3 each; 50 of other costs go to the one customer its leads brought in,
    # not again over the messages: 2 x 3 + 50 = 56, the campaign's whole cost.
    campaign_with_messages(
        marketer, messaged, sent_on=YEAR_4, cost_per_message=Decimal("3.00"), fixed_cost=Decimal("50")
    )
    Lead.objects.create(
        name=won.name, campaign="spring", status=Lead.Status.CONVERTED, customer=won, converted_at=noon(YEAR_4)
    )
    compute_run_now()
    values = {value.customer_id: value for value in CustomerValue.objects.all()}
    assert [values[customer.pk].message_costs for customer in messaged] == [Decimal("3.00"), Decimal("3.00")]
    assert values[won.pk].acquisition_cost == Decimal("50.00") and values[won.pk].message_costs == 0


def test_a_customer_without_cash_flows_is_worth_nothing_yet(assumptions):
    customer = customer_created(YEAR_8)
    compute_run_now()
    value = CustomerValue.objects.get(customer=customer)
    assert value.acquired_on == YEAR_8
    assert value.first_purchase_on is None and value.clv_historic == Decimal("0.00")
    stats = CustomerStats.objects.get(customer=customer)
    assert stats.frequency == 0 and stats.recency_days is None and stats.rfm_segment == ""
    assert stats.pareto_class == "C" and stats.churn_risk is None and stats.value_at_risk is None
