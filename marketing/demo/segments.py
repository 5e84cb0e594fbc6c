"""Demo segments: a few trees of rule segments built on the demo data already in the database
(provinces, customer groups, product categories, orders, complaints, analytics figures) and one
hand-picked static list, each counted once.

Runs after customers, sales and service have seeded. Cheap at any size: a dozen small inserts,
one bulk insert for the list, and one counting query per segment.
"""

from decimal import Decimal

from django.db.models import Avg

from crm_site.demo import DemoContext
from customers.models import Customer, CustomerGroup, Tag
from marketing.models import Segment
from marketing.rules import REAL_ORDER_STATUSES
from marketing.services.segments import segment_count, segment_create, segment_members_add
from sales.models import Order, ProductCategory

STATIC_LIST_SIZE = 50


def _rule(*conditions, match: str = "all") -> dict:
    return {"match": match, "conditions": list(conditions)}


def _spend_threshold() -> Decimal:
    """Twice the average order, rounded to a million: "spent over X" keeps the bigger buyers."""
    average = Order.objects.filter(status__in=REAL_ORDER_STATUSES).aggregate(avg=Avg("total"))["avg"] or 0
    return max(Decimal(1_000_000), (Decimal(average) * 2 / 1_000_000).quantize(Decimal(1)) * 1_000_000)


def seed(ctx: DemoContext) -> None:
    owner = ctx.users.get("marketing")
    made: list[Segment] = []

    def add(name: str, rules: dict, parent: Segment | None = None, description: str = "") -> Segment:
        segment = segment_create(name=name, rules=rules, parent=parent, description=description, owner=owner)
        made.append(segment)
        return segment

    tehran = add("Tehran customers", _rule({"field": "province", "op": "in", "value": ["tehran"]}))
    buyers = add(
        "Tehran buyers in the last 90 days",
        _rule({"field": "orders_count", "op": "gte", "value": 1, "days": 90}),
        parent=tehran,
    )
    threshold = _spend_threshold()
    add(
        f"…who spent over {threshold:,.0f} in 90 days",
        _rule({"field": "total_spent", "op": "gte", "value": str(threshold), "days": 90}),
        parent=buyers,
    )

    wholesale = CustomerGroup.objects.filter(name="Wholesale", parent__isnull=True).first()
    if wholesale is not None:
        wholesale_segment = add(
            "Wholesale group",
            _rule({"field": "group", "op": "in", "value": [wholesale.pk]}),
            description="The Wholesale group and all its sub-groups.",
        )
        top_category = ProductCategory.objects.filter(parent__isnull=True).order_by("path").first()
        if top_category is not None:
            add(
                f"Wholesale buyers of {top_category.name} this year",
                _rule({"field": "bought_category", "op": "in", "value": [top_category.pk], "days": 365}),
                parent=wholesale_segment,
            )

    consented = add("Consented to SMS", _rule({"field": "sms_consent", "op": "yes"}))
    add(
        "SMS consent, no purchase for 180 days",
        _rule(
            {"field": "last_purchase", "op": "over_days", "value": 180},
            {"field": "status", "op": "not_in", "value": [Customer.Status.LOST]},
        ),
        parent=consented,
        description="Lapsed buyers we may still text: a win-back audience.",
    )
    add(
        "Complained recently",
        _rule(
            {"field": "open_complaint", "op": "yes"},
            {"field": "last_csat", "op": "lt", "value": 3},
            match="any",
        ),
        description="An open complaint, or a low satisfaction score on their last ticket.",
    )
    add(
        "Champions (RFM)",
        _rule({"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}),
        description="Filled once the analytics jobs have computed the RFM segments.",
    )

    hand_picked = segment_create(
        name="Nowruz gift list",
        kind=Segment.Kind.STATIC,
        owner=owner,
        description="Customers picked by hand for a Nowruz gift.",
    )
    made.append(hand_picked)
    gift_tag = Tag.objects.filter(name="Nowruz gift list").first()
    picks = Customer.objects.order_by("pk")
    if gift_tag is not None:
        picks = picks.filter(tags=gift_tag)
    ids = list(picks.values_list("pk", flat=True)[:STATIC_LIST_SIZE])
    segment_members_add(segment=hand_picked, customer_ids=ids, by=owner)

    sizes = [segment_count(segment=segment) for segment in made]
    ctx.summary.append(f"Marketing segments: {len(made)} ({sum(sizes):,} memberships counted)")
