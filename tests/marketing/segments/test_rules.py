"""The rule engine: compilation against hand-computed answers, and validation errors."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers.models import CustomerGroup, CustomerStats, Tag
from customers.services import group_save
from marketing.rules import describe_rules, rules_q, validate_rules
from sales.models import Order
from service.models import SatisfactionSurvey, Ticket
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory, OrderLineFactory, ProductCategoryFactory, ProductFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=datetime.UTC)


def matching(tree, now=NOW) -> set[str]:
    from customers.models import Customer

    cleaned = validate_rules(tree)
    return set(Customer.objects.filter(rules_q(cleaned, now=now)).values_list("code", flat=True))


def cond(field, op, value=None, **extra):
    return {"field": field, "op": op, "value": value, **extra}


def all_of(*conditions, **extra):
    return {"match": "all", "conditions": list(conditions), **extra}


def any_of(*conditions, **extra):
    return {"match": "any", "conditions": list(conditions), **extra}


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def people():
    """Five customers with known answers:

    A  Tehran, female, SMS consent, tag vip, 2 orders (10 and 200 days ago; 3M + 1M)
    B  Tehran, male, no consent, 1 order 40 days ago (5M) + one cancelled (9M) + one draft
    C  Isfahan, female, SMS consent, tags vip + wholesale, no orders
    D  Isfahan, male, no consent, 3 orders in the last 30 days (1M each)
    E  Fars, no gender, no consent, born 1990-03-16, no orders
    """
    vip, wholesale = Tag.objects.create(name="vip"), Tag.objects.create(name="wholesale")
    a = CustomerFactory(code="A", province="tehran", city="Tehran", gender="female", sms_consent=True)
    b = CustomerFactory(code="B", province="tehran", city="Tehran", gender="male")
    c = CustomerFactory(code="C", province="isfahan", city="Isfahan", gender="female", sms_consent=True)
    d = CustomerFactory(code="D", province="isfahan", city="Kashan", gender="male")
    e = CustomerFactory(
        code="E", province="fars", city="Shiraz", gender="", birth_date=datetime.date(1990, 3, 16), lifestyle="Hiking"
    )
    a.tags.add(vip)
    c.tags.add(vip, wholesale)
    OrderFactory(customer=a, ordered_at=days_ago(10), total=Decimal("3000000"))
    OrderFactory(customer=a, ordered_at=days_ago(200), total=Decimal("1000000"))
    OrderFactory(customer=b, ordered_at=days_ago(40), total=Decimal("5000000"))
    OrderFactory(customer=b, ordered_at=days_ago(5), total=Decimal("9000000"), status=Order.Status.CANCELLED)
    OrderFactory(customer=b, ordered_at=days_ago(5), total=Decimal("9000000"), status=Order.Status.DRAFT)
    for day in (1, 2, 29):
        OrderFactory(customer=d, ordered_at=days_ago(day), total=Decimal("1000000"), status=Order.Status.DELIVERED)
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "vip": vip, "wholesale": wholesale}


def test_empty_rule_matches_everyone(people):
    assert matching({}) == {"A", "B", "C", "D", "E"}
    assert matching(all_of()) == {"A", "B", "C", "D", "E"}


def test_customer_file_conditions(people):
    assert matching(all_of(cond("province", "in", ["tehran"]))) == {"A", "B"}
    assert matching(all_of(cond("province", "not_in", ["tehran", "isfahan"]))) == {"E"}
    assert matching(all_of(cond("gender", "empty"))) == {"E"}
    assert matching(all_of(cond("city", "eq", "tehran"))) == {"A", "B"}
    assert matching(all_of(cond("city", "neq", "tehran"))) == {"C", "D", "E"}
    assert matching(all_of(cond("lifestyle", "contains", "hik"))) == {"E"}
    assert matching(all_of(cond("sms_consent", "yes"))) == {"A", "C"}
    assert matching(all_of(cond("sms_consent", "no"))) == {"B", "D", "E"}


def test_tags_any_all_none(people):
    vip, wholesale = people["vip"].pk, people["wholesale"].pk
    assert matching(all_of(cond("tags", "in", [vip, wholesale]))) == {"A", "C"}
    assert matching(all_of(cond("tags", "all", [vip, wholesale]))) == {"C"}
    assert matching(all_of(cond("tags", "not_in", [wholesale]))) == {"A", "B", "D", "E"}


def test_nested_and_or_with_negation(people):
    # (Tehran AND consent) OR (Isfahan AND male)  ->  A, D
    tree = any_of(
        all_of(cond("province", "in", ["tehran"]), cond("sms_consent", "yes")),
        all_of(cond("province", "in", ["isfahan"]), cond("gender", "in", ["male"])),
    )
    assert matching(tree) == {"A", "D"}
    # NOT (that)  ->  B, C, E
    assert matching(all_of({**tree, "negate": True})) == {"B", "C", "E"}
    # female AND NOT (vip tag)  ->  nobody; female AND (vip OR Fars) -> A, C
    vip = people["vip"].pk
    assert matching(all_of(cond("gender", "in", ["female"]), all_of(cond("tags", "in", [vip]), negate=True))) == set()
    tree = all_of(cond("gender", "in", ["female"]), any_of(cond("tags", "in", [vip]), cond("province", "in", ["fars"])))
    assert matching(tree) == {"A", "C"}


def test_orders_count_counts_only_real_orders_in_the_window(people):
    assert matching(all_of(cond("orders_count", "gte", 1))) == {"A", "B", "D"}
    assert matching(all_of(cond("orders_count", "gte", 2))) == {"A", "D"}
    assert matching(all_of(cond("orders_count", "gte", 2, days=30))) == {"D"}
    # B's cancelled and draft orders of 5 days ago do not count.
    assert matching(all_of(cond("orders_count", "gte", 1, days=30))) == {"A", "D"}
    assert matching(all_of(cond("orders_count", "lte", 0))) == {"C", "E"}
    assert matching(all_of(cond("orders_count", "lte", 1, days=30))) == {"A", "B", "C", "E"}
    assert matching(all_of(cond("orders_count", "lte", 2))) == {"A", "B", "C", "E"}


def test_total_spent(people):
    assert matching(all_of(cond("total_spent", "gte", "4000000"))) == {"A", "B"}
    assert matching(all_of(cond("total_spent", "gte", "3000000", days=90))) == {"A", "B", "D"}
    assert matching(all_of(cond("total_spent", "gte", "3000001", days=30))) == set()
    assert matching(all_of(cond("total_spent", "lte", "3000000"))) == {"C", "D", "E"}
    assert matching(all_of(cond("total_spent", "lte", "3000000", days=30))) == {"A", "B", "C", "D", "E"}


def test_aggregates_combined_with_sibling_conditions(people):
    assert matching(all_of(cond("province", "in", ["tehran"]), cond("orders_count", "lte", 1))) == {"B"}
    tehran_big = all_of(cond("province", "in", ["tehran"]), cond("total_spent", "gte", "4000000"), negate=True)
    assert matching(tehran_big) == {"C", "D", "E"}
    vip = people["vip"].pk
    nested = all_of(
        cond("province", "in", ["isfahan"]), any_of(cond("orders_count", "gte", 2), cond("tags", "in", [vip]))
    )
    assert matching(nested) == {"C", "D"}
    either = any_of(all_of(cond("province", "in", ["fars"])), cond("total_spent", "gte", "4000000"))
    assert matching(either) == {"A", "B", "E"}


def test_last_purchase(people):
    assert matching(all_of(cond("last_purchase", "within_days", 30))) == {"A", "D"}
    assert matching(all_of(cond("last_purchase", "over_days", 30))) == {"B"}
    assert matching(all_of(cond("last_purchase", "never"))) == {"C", "E"}
    # A's latest order was 10 days ago (5 March), B's 40 days ago (4 February).
    assert matching(all_of(cond("last_purchase", "before", "2026-02-10"))) == {"B"}
    assert matching(all_of(cond("last_purchase", "after", "2026-03-05"))) == {"A", "D"}


def test_relative_dates_move_with_now(people):
    later = NOW + datetime.timedelta(days=25)
    # 25 days on, A's order (then 35 days old) drops out; D's (26 and 27 days old) stay in.
    assert matching(all_of(cond("last_purchase", "within_days", 30)), now=later) == {"D"}
    assert matching(all_of(cond("last_purchase", "within_days", 20)), now=later) == set()


def test_relative_dates_default_to_the_current_time(db):
    from customers.models import Customer

    with time_machine.travel(NOW - datetime.timedelta(days=10), tick=False):
        CustomerFactory(code="OLD")
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        CustomerFactory(code="NEW")
    tree = validate_rules(all_of(cond("created", "within_days", 7)))
    with time_machine.travel(NOW, tick=False):
        assert set(Customer.objects.filter(rules_q(tree)).values_list("code", flat=True)) == {"NEW"}
    with time_machine.travel(NOW + datetime.timedelta(days=6), tick=False):
        assert not Customer.objects.filter(rules_q(tree)).exists()
    older = validate_rules(all_of(cond("created", "over_days", 7)))
    with time_machine.travel(NOW, tick=False):
        assert set(Customer.objects.filter(rules_q(older)).values_list("code", flat=True)) == {"OLD"}


def test_age_uses_today(people):
    # E was born 1990-03-16: on 2026-03-15 still 35, on 2026-03-16 36.
    assert matching(all_of(cond("age", "gte", 36))) == set()
    assert matching(all_of(cond("age", "lte", 35))) == {"E"}
    next_day = NOW + datetime.timedelta(days=1)
    assert matching(all_of(cond("age", "gte", 36)), now=next_day) == {"E"}
    assert matching(all_of(cond("age", "lte", 35)), now=next_day) == set()


def test_group_includes_sub_groups(people):
    wholesale = group_save(group=CustomerGroup(name="Wholesale"))
    tehran = group_save(group=CustomerGroup(name="Tehran", parent=wholesale))
    key = group_save(group=CustomerGroup(name="Key accounts", parent=tehran))
    retail = group_save(group=CustomerGroup(name="Retail"))
    people["A"].groups.add(key)
    people["B"].groups.add(tehran)
    people["C"].groups.add(retail)
    assert matching(all_of(cond("group", "in", [wholesale.pk]))) == {"A", "B"}
    assert matching(all_of(cond("group", "in", [key.pk]))) == {"A"}
    assert matching(all_of(cond("group", "in", [key.pk, retail.pk]))) == {"A", "C"}
    assert matching(all_of(cond("group", "not_in", [tehran.pk]))) == {"C", "D", "E"}


def test_bought_product_and_category_with_sub_categories(people):
    appliances = ProductCategoryFactory(name="Appliances")
    kitchen = ProductCategoryFactory(name="Kitchen", parent=appliances)
    garden = ProductCategoryFactory(name="Garden")
    kettle = ProductFactory(category=kitchen)
    mower = ProductFactory(category=garden)
    OrderLineFactory(order=people["A"].orders.order_by("ordered_at").first(), product=kettle)  # 200 days ago
    OrderLineFactory(order=people["D"].orders.first(), product=mower)
    cancelled = people["B"].orders.get(status=Order.Status.CANCELLED)
    OrderLineFactory(order=cancelled, product=kettle)
    assert matching(all_of(cond("bought_product", "in", [kettle.pk]))) == {"A"}
    assert matching(all_of(cond("bought_product", "in", [kettle.pk], days=90))) == set()
    assert matching(all_of(cond("bought_category", "in", [appliances.pk]))) == {"A"}
    assert matching(all_of(cond("bought_category", "in", [kitchen.pk, garden.pk]))) == {"A", "D"}
    assert matching(all_of(cond("bought_category", "not_in", [appliances.pk]))) == {"B", "C", "D", "E"}


def test_open_complaint_and_last_csat(people):
    TicketFactory(customer=people["A"], kind=Ticket.Kind.COMPLAINT, status=Ticket.Status.OPEN)
    TicketFactory(customer=people["B"], kind=Ticket.Kind.COMPLAINT, status=Ticket.Status.RESOLVED)
    TicketFactory(customer=people["C"], kind=Ticket.Kind.REQUEST, status=Ticket.Status.OPEN)
    assert matching(all_of(cond("open_complaint", "yes"))) == {"A"}
    assert matching(all_of(cond("open_complaint", "no"))) == {"B", "C", "D", "E"}

    def survey(customer, score, answered_days_ago, n):
        ticket = TicketFactory(customer=customer, status=Ticket.Status.CLOSED)
        SatisfactionSurvey.objects.create(
            ticket=ticket, customer=customer, token=f"t{n}", score=score, answered_at=days_ago(answered_days_ago)
        )

    survey(people["A"], 2, 30, 1)
    survey(people["A"], 5, 3, 2)  # A's latest is 5
    survey(people["B"], 5, 30, 3)
    survey(people["B"], 1, 3, 4)  # B's latest is 1
    unanswered = TicketFactory(customer=people["C"], status=Ticket.Status.CLOSED)
    SatisfactionSurvey.objects.create(ticket=unanswered, customer=people["C"], token="t5")
    assert matching(all_of(cond("last_csat", "lt", 3))) == {"B"}
    assert matching(all_of(cond("last_csat", "gte", 3))) == {"A"}


def test_stats_conditions(people):
    CustomerStats.objects.create(
        customer=people["A"], rfm_segment="champions", pareto_class="A", clv_historic=Decimal("9000000"), churn_risk=0.1
    )
    CustomerStats.objects.create(
        customer=people["B"], rfm_segment="at_risk", pareto_class="B", clv_historic=Decimal("5000000"), churn_risk=0.8
    )
    assert matching(all_of(cond("rfm_segment", "in", ["champions"]))) == {"A"}
    assert matching(all_of(cond("rfm_segment", "not_in", ["champions"]))) == {"B"}
    assert matching(all_of(cond("pareto_class", "in", ["A", "B"]))) == {"A", "B"}
    assert matching(all_of(cond("clv_historic", "gte", "6000000"))) == {"A"}
    assert matching(all_of(cond("churn_risk", "gte", 0.5))) == {"B"}
    assert matching(all_of(cond("churn_risk", "lte", 0.5))) == {"A"}


def test_three_condition_count_is_one_query(people, django_assert_num_queries):
    from customers.models import Customer

    tree = validate_rules(
        all_of(
            cond("province", "in", ["tehran"]),
            cond("orders_count", "gte", 1, days=365),
            cond("total_spent", "gte", "4000000"),
        )
    )
    with django_assert_num_queries(1):
        assert Customer.objects.filter(rules_q(tree, now=NOW)).count() == 2


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (all_of(cond("shoe_size", "in", [42])), "Condition 1: unknown field “shoe_size”."),
        (all_of(cond("province", "gte", 3)), "does not take the operator “gte”"),
        (all_of(cond("province", "in", ["atlantis"])), "“atlantis” is not one of the choices"),
        (all_of(cond("province", "in", [])), "choose at least one value"),
        (all_of(cond("orders_count", "gte", "many")), "“many” is not a number"),
        (all_of(cond("orders_count", "gte", 1.5)), "enter a whole number"),
        (all_of(cond("orders_count", "gte", 2, days=0)), "number of days must be between"),
        (all_of(cond("last_purchase", "before", "15/03/2026")), "is not a date"),
        (all_of(cond("last_csat", "lt", 9)), "must be at most 5"),
        (all_of(cond("tags", "in", [999999])), "no tag has the id 999999"),
        ({"match": "some", "conditions": []}, "“match” must be “all” or “any”"),
        (all_of(all_of(all_of(all_of(all_of(cond("sms_consent", "yes")))))), "nested more than 4 levels"),
        (all_of(cond("city", "eq", 3), any_of(cond("gender", "in", ["x"]))), "Condition 1 (City): enter a text"),
        (all_of(cond("sms_consent", "yes"), any_of(cond("gender", "in", ["x"]))), "Condition 2.1 (Gender)"),
    ],
)
def test_validation_errors(tree, message):
    with pytest.raises(ValidationError) as error:
        validate_rules(tree)
    assert message in error.value.messages[0]


def test_validation_cleans_values():
    tree = validate_rules(
        all_of(
            cond("orders_count", "gte", "2", days="30"),
            cond("total_spent", "gte", "1,500,000"),
            cond("province", "in", ["tehran", "tehran"]),
            any_of(),
        )
    )
    assert tree == all_of(
        cond("orders_count", "gte", 2, days=30),
        cond("total_spent", "gte", "1500000.00", days=None),
        cond("province", "in", ["tehran"]),
    )
    four_deep = all_of(all_of(all_of(all_of(cond("sms_consent", "yes")))))
    assert validate_rules(four_deep)["conditions"][0]["conditions"][0]["conditions"][0]["match"] == "all"


def test_describe_rules(people):
    vip = people["vip"].pk
    tree = validate_rules(
        all_of(
            cond("province", "in", ["tehran"]),
            any_of(cond("tags", "in", [vip]), cond("orders_count", "gte", 2, days=30)),
        )
    )
    text = describe_rules(tree)
    assert (
        text == "Province is any of Tehran and (Tags has any of vip or Number of orders at least 2 in the last 30 days)"
    )
    assert describe_rules({}) == "Every customer"
