"""Returns: the refunded amounts computed by hand, every refusal writing nothing, who may record
one, the order page listing them in a constant number of queries, and two returns at once."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.access import RECORD_SCOPES, Action, Role, Scope
from customers.models import Interaction
from sales.models import Order, OrderReturn, OrderReturnLine
from sales.selectors.returns import order_returns_for, returnable_lines, returns_for
from sales.services.orders import order_cancel, order_confirm, order_create, order_deliver
from sales.services.returns import order_return_create, return_line_amounts
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # 13:30 in Tehran
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def make_order(owner, *, status="confirmed", lines=(("1000.00", "600.00", "3", "10"),), ordered_at=None) -> Order:
    """An order of ``owner``'s customer; each line is (unit price, unit cost, quantity, discount %),
    taxed at 10%."""
    customer = CustomerFactory(owner=owner, team=owner.team)
    products = [
        ProductFactory(list_price=D(price), unit_cost=D(cost), tax_rate=D("10")) for price, cost, _q, _d in lines
    ]
    order = order_create(
        customer=customer,
        owner=owner,
        by=owner,
        ordered_at=ordered_at,
        lines=[
            {"product": product, "quantity": D(quantity), "discount_percent": D(discount)}
            for product, (_p, _c, quantity, discount) in zip(products, lines, strict=True)
        ],
    )
    if status in ("confirmed", "delivered"):
        order_confirm(order=order)
    if status == "delivered":
        order_deliver(order=order)
    if status == "cancelled":  # straight from draft
        order_cancel(order=order)
    order.refresh_from_db()
    return order


def record(order, user, quantities, *, returned_on=TODAY, reason="defective", note=""):
    return order_return_create(
        order=order, user=user, returned_on=returned_on, reason=reason, note=note, quantities=quantities
    )


def first_line(order):
    return order.lines.order_by("id").first()


# --- amounts -----------------------------------------------------------------------------------


def test_a_partial_return_of_a_discounted_line_refunds_its_share(rep):
    # 3 × 1000 less 10% = 2700 net and 270 tax; the goods cost 600 each.
    order = make_order(rep, status="delivered")
    line = first_line(order)
    assert (line.net_amount, line.tax_amount) == (D("2700.00"), D("270.00"))

    order_return = record(order, rep, {line.pk: D("2")}, note="  Cracked screen ")

    # 2 of 3: net 2700 / 3 × 2 = 1800, tax 270 / 3 × 2 = 180, cost 600 × 2 = 1200.
    assert (order_return.amount, order_return.tax_amount, order_return.cost_recovered) == (
        D("1800.00"),
        D("180.00"),
        D("1200.00"),
    )
    assert order_return.total == D("1980.00")
    assert order_return.number == "RET-000001"
    assert (order_return.order, order_return.customer_id, order_return.created_by) == (order, order.customer_id, rep)
    assert (order_return.returned_on, order_return.reason, order_return.note) == (TODAY, "defective", "Cracked screen")
    row = OrderReturnLine.objects.get()
    assert (row.order_line, row.quantity, row.amount, row.tax_amount, row.cost) == (
        line,
        D("2"),
        D("1800.00"),
        D("180.00"),
        D("1200.00"),
    )
    entry = Interaction.objects.get(customer=order.customer, subject__startswith="Return ")
    assert entry.object_id == str(order_return.pk) and entry.content_type.model == "orderreturn"
    assert entry.kind == Interaction.Kind.ORDER and entry.user == rep
    assert order_return.number in entry.subject and order.number in entry.subject and "1980.00" in entry.subject


def test_a_line_returned_in_parts_refunds_exactly_its_net_amount(rep):
    # 3 × 333.33 = 999.99, less 10% (100.00) = 899.99 net; tax 10% = 90.00; cost 123.45 each.
    order = make_order(rep, lines=[("333.33", "123.45", "3", "10")])
    line = first_line(order)
    assert (line.net_amount, line.tax_amount) == (D("899.99"), D("90.00"))

    # 899.99 / 3 = 299.996…: the shares round cumulatively (300.00, 599.99, 899.99), so the parts
    # are 300.00, 299.99 and 300.00 and add up to the line's net, not to 3 × 300.00 = 900.00.
    parts = [record(order, rep, {line.pk: D("1")}) for _ in range(3)]

    assert [part.amount for part in parts] == [D("300.00"), D("299.99"), D("300.00")]
    assert [part.tax_amount for part in parts] == [D("30.00"), D("30.00"), D("30.00")]
    assert [part.cost_recovered for part in parts] == [D("123.45")] * 3
    assert sum(part.amount for part in parts) == line.net_amount
    assert [part.number for part in parts] == ["RET-000001", "RET-000002", "RET-000003"]


def test_return_line_amounts_of_a_fractional_quantity():
    # 2.5 kg bought for 250.00 net, 25.00 tax, at 41.00 a kg: 1.2 kg back.
    amounts = return_line_amounts(
        bought=D("2.5"),
        net_amount=D("250.00"),
        tax_amount=D("25.00"),
        unit_cost=D("41.00"),
        returned_before=D("0"),
        quantity=D("1.2"),
    )
    assert (amounts.amount, amounts.tax, amounts.cost) == (D("120.00"), D("12.00"), D("49.20"))


def test_only_the_lines_given_are_returned(rep):
    order = make_order(rep, lines=[("100.00", "50.00", "1", "0"), ("200.00", "80.00", "2", "0")])
    first, second = order.lines.order_by("id")

    order_return = record(order, rep, {first.pk: D("0"), second.pk: D("1")})

    assert list(order_return.lines.values_list("order_line_id", "quantity")) == [(second.pk, D("1"))]
    # One of two at 200.00: 200.00 net, 20.00 tax, 80.00 cost.
    assert (order_return.amount, order_return.tax_amount, order_return.cost_recovered) == (
        D("200.00"),
        D("20.00"),
        D("80.00"),
    )


# --- refusals ----------------------------------------------------------------------------------


def assert_nothing_written(returns_before: int = 0) -> None:
    assert OrderReturn.objects.count() == returns_before
    assert OrderReturnLine.objects.count() == returns_before
    assert Interaction.objects.filter(subject__startswith="Return ").count() == returns_before


def test_returning_more_than_was_bought_is_refused(rep):
    order = make_order(rep)
    line = first_line(order)
    with pytest.raises(ValidationError) as refused:
        record(order, rep, {line.pk: D("4")})
    assert "at most 3 can be returned (3 bought, 0 already returned)" in " ".join(refused.value.messages)
    assert_nothing_written()


def test_returning_more_than_is_left_after_an_earlier_return_is_refused(rep):
    order = make_order(rep)
    line = first_line(order)
    record(order, rep, {line.pk: D("2")})

    with pytest.raises(ValidationError) as refused:
        record(order, rep, {line.pk: D("2")})

    assert "Line 1" in refused.value.messages[0]
    assert "at most 1 can be returned (3 bought, 2 already returned)" in refused.value.messages[0]
    assert_nothing_written(1)
    assert record(order, rep, {line.pk: D("1")}).amount == D("900.00")  # what is left still may


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_a_draft_or_cancelled_order_takes_no_return(rep, status):
    order = make_order(rep, status=status)
    with pytest.raises(ValidationError, match="Only a confirmed or delivered order"):
        record(order, rep, {first_line(order).pk: D("1")})
    assert_nothing_written()


def test_a_return_cannot_be_dated_in_the_future_or_before_its_order(rep):
    order = make_order(rep, ordered_at=NOW - dt.timedelta(days=5))
    line = first_line(order)
    with pytest.raises(ValidationError) as future:
        record(order, rep, {line.pk: D("1")}, returned_on=TODAY + dt.timedelta(days=1))
    assert future.value.message_dict == {"returned_on": ["A return cannot be dated in the future."]}
    with pytest.raises(ValidationError) as early:
        record(order, rep, {line.pk: D("1")}, returned_on=TODAY - dt.timedelta(days=6))
    assert "before its order" in early.value.message_dict["returned_on"][0]
    assert_nothing_written()
    assert record(order, rep, {line.pk: D("1")}, returned_on=TODAY - dt.timedelta(days=5)).pk


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ("zero", "Enter a quantity to return on at least one line."),
        ("negative", "a quantity cannot be negative"),
        ("too_precise", "use at most three decimal places"),
        ("foreign", "not a line of this order"),
    ],
)
def test_bad_quantities_are_refused(rep, quantities, message):
    order, other = make_order(rep), make_order(rep)
    line = first_line(order)
    given = {
        "zero": {line.pk: D("0")},
        "negative": {line.pk: D("-1")},
        "too_precise": {line.pk: D("0.0001")},
        "foreign": {first_line(other).pk: D("1")},
    }[quantities]
    with pytest.raises(ValidationError) as refused:
        record(order, rep, given)
    assert message in " ".join(refused.value.messages)
    assert_nothing_written()


def test_an_unknown_reason_is_refused(rep):
    order = make_order(rep)
    with pytest.raises(ValidationError) as refused:
        record(order, rep, {first_line(order).pk: D("1")}, reason="broken")
    assert "reason" in refused.value.message_dict
    assert_nothing_written()


# --- the pages ---------------------------------------------------------------------------------


def form_data(order, quantities, *, returned_on="2026-03-10", reason="wrong_item", note=""):
    data = {"returned_on": returned_on, "reason": reason, "note": note}
    data.update({f"line_{pk}": str(quantity) for pk, quantity in quantities.items()})
    return data


def test_record_a_return_through_the_page(client_for, rep):
    order = make_order(rep, status="delivered")
    line = first_line(order)
    client = client_for(rep)
    url = reverse("sales:order_return_create", args=[order.pk])

    page = client.get(url).content.decode()
    assert line.product.name in page and 'name="line_' in page

    response = client.post(url, form_data(order, {line.pk: "1"}, note="Wrong size"))
    order_return = OrderReturn.objects.get()
    assert response.url == order.get_absolute_url() + "#returns"
    assert (order_return.amount, order_return.reason, order_return.note, order_return.created_by) == (
        D("900.00"),
        "wrong_item",
        "Wrong size",
        rep,
    )

    detail = client.get(order.get_absolute_url()).content.decode()
    assert 'id="returns"' in detail
    assert order_return.number in detail and "Wrong item" in detail and "900.00" in detail and "990.00" in detail


def test_bad_input_on_the_page_comes_back_with_errors_and_writes_nothing(client_for, rep):
    order = make_order(rep)
    line = first_line(order)
    client = client_for(rep)
    url = reverse("sales:order_return_create", args=[order.pk])

    too_many = client.post(url, form_data(order, {line.pk: "5"}))
    assert too_many.status_code == 400
    assert "At most 3 can still be returned." in too_many.content.decode()

    nothing = client.post(url, form_data(order, {line.pk: "0"}))
    assert nothing.status_code == 400
    assert "Enter a quantity to return on at least one line." in nothing.content.decode()

    future = client.post(url, form_data(order, {line.pk: "1"}, returned_on="2026-03-11"))
    assert future.status_code == 400
    assert "A return cannot be dated in the future." in future.content.decode()
    assert 'data-testid="error-returned_on"' in future.content.decode()
    assert_nothing_written()


def test_the_button_shows_on_confirmed_and_delivered_orders_to_who_may_change_them(client_for, rep):
    client = client_for(rep)
    label = "Record a return"
    for status, shown in (("draft", False), ("confirmed", True), ("delivered", True), ("cancelled", False)):
        order = make_order(rep, status=status)
        assert (label in client.get(order.get_absolute_url()).content.decode()) is shown, status


def test_the_form_of_a_draft_order_sends_back_to_the_order(client_for, rep):
    order = make_order(rep, status="draft")
    response = client_for(rep).get(reverse("sales:order_return_create", args=[order.pk]), follow=True)
    assert "Only a confirmed or delivered order can take a return." in response.content.decode()
    assert_nothing_written()


def test_a_rep_of_another_team_gets_404(client_for, rep, outsider_rep, rep2):
    order = make_order(rep)
    url = reverse("sales:order_return_create", args=[order.pk])
    data = form_data(order, {first_line(order).pk: "1"})
    for user in (outsider_rep, rep2):  # another team, and a teammate (reps see their own orders)
        client = client_for(user)
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    assert_nothing_written()


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_are_refused(persona, personas, client_for, rep):
    order = make_order(rep)
    client = client_for(personas[persona])
    url = reverse("sales:order_return_create", args=[order.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(order, {first_line(order).pk: "1"})).status_code == 403
    assert_nothing_written()


def test_a_user_who_may_only_look_at_the_order_cannot_record_a_return(monkeypatch, client_for, manager, rep):
    # Managers who may look at their team's orders but change only their own.
    monkeypatch.setitem(RECORD_SCOPES["sales"][Action.CHANGE], Role.MANAGER, Scope.OWN)
    order = make_order(rep)
    client = client_for(manager)
    page = client.get(order.get_absolute_url())
    assert page.status_code == 200 and "Record a return" not in page.content.decode()

    url = reverse("sales:order_return_create", args=[order.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(order, {first_line(order).pk: "1"})).status_code == 403
    assert_nothing_written()


def test_a_manager_records_a_return_on_the_teams_order(client_for, manager, rep):
    order = make_order(rep)
    url = reverse("sales:order_return_create", args=[order.pk])
    client_for(manager).post(url, form_data(order, {first_line(order).pk: "1"}))
    assert OrderReturn.objects.get().created_by == manager


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_order_page_lists_one_or_three_returns_in_the_same_number_of_queries(
    client_for, rep, django_assert_max_num_queries
):
    one = make_order(rep, lines=[("100.00", "60.00", "5", "0")] * 3, status="delivered")
    three = make_order(rep, lines=[("100.00", "60.00", "5", "0")] * 3, status="delivered")
    record(one, rep, {first_line(one).pk: D("1")})
    for line in three.lines.order_by("id"):
        record(three, rep, {line.pk: D("2")}, reason="changed_mind")
    client = client_for(rep)
    baseline = count_queries(client, one.get_absolute_url())

    with django_assert_max_num_queries(baseline):
        page = client.get(three.get_absolute_url()).content.decode()

    assert page.count("RET-0000") == 3 and "Changed their mind" in page


def test_the_form_runs_a_constant_number_of_queries(client_for, rep, django_assert_max_num_queries):
    small = make_order(rep, lines=[("100.00", "60.00", "5", "0")])
    large = make_order(rep, lines=[("100.00", "60.00", "5", "0")] * 8)
    record(large, rep, {line.pk: D("1") for line in large.lines.all()})
    client = client_for(rep)
    baseline = count_queries(client, reverse("sales:order_return_create", args=[small.pk]))
    with django_assert_max_num_queries(baseline):
        client.get(reverse("sales:order_return_create", args=[large.pk]))


# --- selectors and the admin -------------------------------------------------------------------


def test_selectors(rep, rep2, manager, outsider_rep):
    order = make_order(rep, lines=[("100.00", "60.00", "4", "0"), ("50.00", "20.00", "1", "0")])
    first, second = order.lines.order_by("id")
    early = record(order, rep, {first.pk: D("1")}, returned_on=TODAY)
    later = record(order, rep, {first.pk: D("1.5"), second.pk: D("1")}, returned_on=TODAY)

    assert order_returns_for(order=order) == [early, later]
    lines = returnable_lines(order=order)
    assert [(line.returned, line.remaining) for line in lines] == [(D("2.5"), D("1.5")), (D("1"), D("0"))]
    assert set(returns_for(user=rep)) == {early, later} == set(returns_for(user=manager))
    assert not returns_for(user=rep2).exists() and not returns_for(user=outsider_rep).exists()


def test_the_admin_lists_and_opens_returns(admin_client, rep):
    order = make_order(rep)
    order_return = record(order, rep, {first_line(order).pk: D("1")})
    assert admin_client.get(reverse("admin:sales_orderreturn_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:sales_orderreturn_change", args=[order_return.pk]))
    assert page.status_code == 200 and order_return.number in page.content.decode()
    assert admin_client.get(reverse("admin:sales_orderreturn_add")).status_code == 403


# --- two returns at once (PostgreSQL row locks) -------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_returns_at_once_cannot_return_more_than_was_bought(rep):
    order = make_order(rep)
    line = first_line(order)
    barrier = threading.Barrier(2)
    results: list = []

    def worker():
        try:
            barrier.wait()
            results.append(
                order_return_create(
                    order=order,
                    user=rep,
                    returned_on=TODAY,
                    reason="defective",
                    quantities={line.pk: D("2")},
                )
            )
        except ValidationError as error:
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(isinstance(result, OrderReturn) for result in results) == 1
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert len(refused) == 1 and "2 already returned" in refused[0].messages[0]
    assert OrderReturnLine.objects.filter(order_line=line).count() == 1
