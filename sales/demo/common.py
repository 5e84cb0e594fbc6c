"""What the parts of the sales demo share: the clock, weighted choices, the people who sell, the
customers to sell to, and the reference lists (pipeline, reasons, settings) they point at."""

import importlib
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from django.utils import timezone

from crm_site.demo import DemoContext
from crm_site.models import User
from customers.models import Customer, CustomerGroup, Source
from sales.models import DisqualifyReason, LossReason, Pipeline, SalesSettings, Stage

DAY = 86_400
HOUR = 3_600
OPEN_HOUR, CLOSE_HOUR = 9, 20  # business hours, local time
YEARS = 3
# The staff who sell, with their share of the work.
SELLERS = [("sales1", 40), ("sales2", 40), ("manager", 20)]


class Pick:
    """A weighted random choice; the cumulative weights are computed once, not on every call."""

    def __init__(self, population: Sequence, weights: Sequence[float]) -> None:
        self.population = list(population)
        self.cum_weights = list(accumulate(weights))
        self.last = len(self.population) - 1

    def __call__(self, rng: random.Random):
        # What rng.choices(population, cum_weights=...)[0] does, without building a list per call.
        return self.population[bisect(self.cum_weights, rng.random() * self.cum_weights[-1], 0, self.last)]

    @property
    def mean(self) -> float:
        """The expected value, for numeric populations."""
        weights = [high - low for low, high in zip([0, *self.cum_weights], self.cum_weights, strict=False)]
        return (
            sum(value * weight for value, weight in zip(self.population, weights, strict=True)) / self.cum_weights[-1]
        )


class Clock:
    """Times as ticks: seconds of local wall-clock time from today's local midnight (negative
    in the past). Ticks are cheap to compare and shift; ``at(tick)`` makes the aware datetime in
    the business's zone (Asia/Tehran by default), DST of the older years included."""

    def __init__(self) -> None:
        self.midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        self.today = self.midnight.date()

    def at(self, tick: int) -> datetime:
        return self.midnight + timedelta(seconds=tick)

    def day(self, tick: int) -> date:
        return self.today + timedelta(days=tick // DAY)

    def tick_of(self, moment: datetime) -> int:
        return int((timezone.localtime(moment) - self.midnight).total_seconds())

    @staticmethod
    def business(rng: random.Random, day: int) -> int:
        """A moment in business hours on ``day`` (days from today, negative in the past)."""
        return day * DAY + rng.randrange(OPEN_HOUR * HOUR, CLOSE_HOUR * HOUR)

    @staticmethod
    def next_business(tick: int) -> int:
        """``tick`` itself in business hours, else the next opening (nobody is called at night)."""
        day, second = divmod(tick, DAY)
        if second < OPEN_HOUR * HOUR:
            return day * DAY + OPEN_HOUR * HOUR + second % 1800
        if second >= CLOSE_HOUR * HOUR:
            return (day + 1) * DAY + OPEN_HOUR * HOUR + second % 1800
        return tick


@dataclass
class Seller:
    user: User
    weight: int

    @property
    def pk(self) -> int:
        return self.user.pk

    @property
    def team_id(self) -> int | None:
        return self.user.team_id


@dataclass(slots=True)
class Buyer:
    """A customer as the sales demo needs it (read once, in bulk)."""

    pk: int
    name: str
    created: int  # tick
    owner_id: int | None
    team_id: int | None
    organisation: bool
    status: str
    segment: str  # the customer's top-level group ("Wholesale", "Retail", ...) or ""
    phone: str
    email: str
    province: str
    city: str


@dataclass
class References:
    pipeline: Pipeline
    open_stages: list[Stage]
    won: Stage
    lost: Stage
    loss_reasons: list[int]
    disqualify_reasons: list[int]
    sources: dict[str, int]
    sellers: list[Seller] = field(default_factory=list)


def load_buyers(clock: Clock) -> list[Buyer]:
    """Every customer, oldest first, with the top-level group that decides what they buy."""
    roots = dict(CustomerGroup.objects.filter(parent__isnull=True).values_list("pk", "name"))
    segments: dict[int, str] = {}
    memberships = Customer.groups.through.objects.order_by("pk").values_list("customer_id", "customergroup__path")
    for customer_id, path in memberships:
        root = roots.get(int(path.split("/", 1)[0])) if path else None
        if root and customer_id not in segments:
            segments[customer_id] = root
    rows = Customer.objects.order_by("pk").values_list(
        "pk", "name", "created_at", "owner_id", "team_id", "kind", "status", "phone", "email", "province", "city"
    )
    return [
        Buyer(
            pk=pk,
            name=name,
            created=clock.tick_of(created_at),
            owner_id=owner_id,
            team_id=team_id,
            organisation=kind == Customer.Kind.ORGANISATION,
            status=status,
            segment=segments.get(pk, ""),
            phone=phone,
            email=email,
            province=province,
            city=city,
        )
        for pk, name, created_at, owner_id, team_id, kind, status, phone, email, province, city in rows
    ]


def _install_defaults():
    """The defaults migration's lists (a fresh install's pipeline, stages and reasons)."""
    return importlib.import_module("sales.migrations.0002_defaults")


def load_references(ctx: DemoContext) -> References:
    """The default pipeline and the managed lists, made as a fresh install has them when missing
    (a database built without migrations, as the test suite's, has none)."""
    defaults = _install_defaults()
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(name="Sales", is_default=True)
        Stage.objects.bulk_create(
            [
                Stage(pipeline=pipeline, name=name, kind=kind, probability=probability, rot_days=rot, order=order)
                for order, (name, kind, probability, rot) in enumerate(defaults.STAGES)
            ]
        )
    stages = sorted(Stage.objects.filter(pipeline=pipeline), key=lambda stage: (stage.order, stage.pk))
    loss_reasons = list(LossReason.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    if not loss_reasons:
        LossReason.objects.bulk_create([LossReason(name=name) for name in defaults.LOSS_REASONS])
        loss_reasons = list(LossReason.objects.order_by("pk").values_list("pk", flat=True))
    disqualify = list(DisqualifyReason.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    if not disqualify:
        DisqualifyReason.objects.bulk_create([DisqualifyReason(name=name) for name in defaults.DISQUALIFY_REASONS])
        disqualify = list(DisqualifyReason.objects.order_by("pk").values_list("pk", flat=True))
    SalesSettings.objects.bulk_create([SalesSettings(pk=1)], ignore_conflicts=True)
    sellers = [Seller(ctx.users[name], weight) for name, weight in SELLERS if name in ctx.users]
    return References(
        pipeline=pipeline,
        open_stages=[stage for stage in stages if stage.kind == Stage.Kind.OPEN],
        won=next(stage for stage in stages if stage.kind == Stage.Kind.WON),
        lost=next(stage for stage in stages if stage.kind == Stage.Kind.LOST),
        loss_reasons=loss_reasons,
        disqualify_reasons=disqualify,
        sources=dict(Source.objects.values_list("name", "pk")),
        sellers=sellers,
    )


def seller_for(rng: random.Random, refs: References, owner_id: int | None) -> Seller:
    """The customer's own seller when they have one, else one of the sales staff by their share."""
    for seller in refs.sellers:
        if seller.pk == owner_id:
            return seller
    return rng.choices(refs.sellers, weights=[seller.weight for seller in refs.sellers])[0]
