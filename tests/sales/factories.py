"""factory-boy factories for the sales models (add more beside these as a part needs them).

They write through the models, for speed; tests of a service call the service itself.
"""

from decimal import Decimal

import factory
from django.utils import timezone

from sales.models import (
    Activity,
    Lead,
    Opportunity,
    Order,
    OrderLine,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
)
from tests.factories import CustomerFactory, UserFactory


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Category {n}")
    path = "pending/"

    @factory.post_generation
    def fix_path(self, create, extracted, **kwargs):
        if create:
            parent_path = self.parent.path if self.parent_id else ""
            self.path = f"{parent_path}{self.pk}/"
            self.depth = self.path.count("/") - 1
            self.save(update_fields=["path", "depth"])


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("1000000.00")
    unit_cost = Decimal("600000.00")
    tax_rate = Decimal("10.00")


def default_pipeline() -> Pipeline:
    """The pipeline the defaults migration installs (New, Qualified, Proposal, Negotiation, Won, Lost)."""
    return Pipeline.objects.get(is_default=True)


def stage(name: str, pipeline: Pipeline | None = None) -> Stage:
    return Stage.objects.get(pipeline=pipeline or default_pipeline(), name=name)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+98912{n:07d}")
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda lead: lead.owner.team if lead.owner else None)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Deal {n}")
    customer = factory.SubFactory(CustomerFactory)
    pipeline = factory.LazyFunction(default_pipeline)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.order_by("order").first())
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    amount = Decimal("5000000.00")
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    stage_entered_at = factory.LazyFunction(timezone.now)
    last_activity_at = factory.LazyFunction(timezone.now)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"Call back {n}")
    kind = Activity.Kind.CALL
    due_at = factory.LazyFunction(timezone.now)
    assignee = factory.SubFactory(UserFactory)


class OrderFactory(factory.django.DjangoModelFactory):
    """An order with stored totals as given (no lines); add lines with OrderLineFactory and
    recompute with the totals service when a test needs consistent totals."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"SO-T{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.CONFIRMED
    ordered_at = factory.LazyFunction(timezone.now)
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    unit_price = factory.LazyAttribute(lambda line: line.product.list_price)
    unit_cost = factory.LazyAttribute(lambda line: line.product.unit_cost)
    net_amount = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)
    line_total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)
