"""Reads of opportunities and pipelines, scoped to the user (record family "sales").

Rotting is decided per stage ("untouched for more than the stage's rot_days"): the open stages
that rot are few, so the condition is one OR of (stage, cut-off) pairs on the opportunity's own
columns, which works alike on SQLite and PostgreSQL and uses the partial rotting index.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from crm_site.access import Action, get_for_user_or_404, scope_queryset
from crm_site.models import Team, User
from customers.models import Customer
from sales.methods import Method, Step, method_get, step_answers, step_is_answered
from sales.models import Activity, LossReason, Opportunity, Pipeline, Quote, Stage, StageChange
from sales.totals import ZERO, line_amounts, money, weighted, weighted_from_sum, weighted_sum_expression

FAMILY = "sales"
# Won and lost columns of the board show what closed recently, not every deal ever closed.
CLOSED_COLUMN_DAYS = 30
CARDS_PER_COLUMN = 30


def opportunities_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Opportunity]:
    return scope_queryset(Opportunity.objects.all(), user, FAMILY, action, owner_field="owner", team_field="team")


def opportunity_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Opportunity:
    queryset = Opportunity.objects.select_related(
        "customer", "owner", "team", "pipeline", "stage", "loss_reason", "source"
    )
    return get_for_user_or_404(queryset, user, FAMILY, action, owner_field="owner", team_field="team", pk=pk)


def rotting_condition(*, now: datetime | None = None) -> Q:
    """Open opportunities untouched for longer than their stage allows (one query for the stages)."""
    now = now or timezone.now()
    stages = Stage.objects.filter(kind=Stage.Kind.OPEN, rot_days__isnull=False).order_by().values_list("pk", "rot_days")
    condition = Q(pk__in=[])
    for stage_id, rot_days in stages:
        condition |= Q(stage_id=stage_id, last_activity_at__lt=now - timedelta(days=rot_days))
    return Q(status=Opportunity.Status.OPEN) & condition


def with_rotting(queryset: QuerySet[Opportunity], *, now: datetime | None = None) -> QuerySet[Opportunity]:
    return queryset.annotate(is_rotting=ExpressionWrapper(rotting_condition(now=now), output_field=BooleanField()))


def opportunity_list_queryset(*, user: User, now: datetime | None = None) -> QuerySet[Opportunity]:
    queryset = opportunities_for(user=user).select_related("customer", "owner", "stage", "pipeline")
    return with_rotting(queryset, now=now)


# --- the board ---------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    total: Decimal = ZERO
    weighted_raw: Decimal = ZERO  # sum of amount × probability, see sales.totals

    @property
    def weighted(self) -> Decimal:
        return weighted_from_sum(self.weighted_raw)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]

    @property
    def open_columns(self) -> list[Column]:
        return [column for column in self.columns if column.stage.kind == Stage.Kind.OPEN]

    @property
    def open_count(self) -> int:
        return sum(column.count for column in self.open_columns)

    @property
    def open_total(self) -> Decimal:
        return sum((column.total for column in self.open_columns), ZERO)

    @property
    def open_weighted(self) -> Decimal:
        # Rounded once over the whole open pipeline, as the sales forecast does.
        return weighted_from_sum(sum((column.weighted_raw for column in self.open_columns), ZERO))


def board_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(is_active=True)


def pipeline_board(
    *,
    user: User,
    pipeline: Pipeline,
    owner: User | None = None,
    team: Team | None = None,
    now: datetime | None = None,
    per_column: int = CARDS_PER_COLUMN,
) -> Board:
    """The kanban board of ``pipeline`` as ``user`` may see it, in three queries whatever the
    number of opportunities: the stages, one GROUP BY for the column totals, and the most
    recently touched cards of every column at once (a window function ranks them per stage)."""
    now = now or timezone.now()
    stages = list(pipeline.stages.order_by("order", "id"))
    # Open stages first, then the won and lost drop targets at the end.
    stages.sort(key=lambda stage: (stage.kind != Stage.Kind.OPEN, stage.kind == Stage.Kind.LOST, stage.order))
    base = opportunities_for(user=user).filter(pipeline=pipeline)
    base = base.filter(Q(status=Opportunity.Status.OPEN) | Q(closed_at__gte=now - timedelta(days=CLOSED_COLUMN_DAYS)))
    if owner is not None:
        base = base.filter(owner=owner)
    if team is not None:
        base = base.filter(team=team)
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    totals = (
        base.order_by()
        .values("stage_id")
        .annotate(
            n=Count("pk"),
            amount_sum=Sum("amount"),
            weighted_sum=weighted_sum_expression(),
        )
    )
    for row in totals:
        column = columns.get(row["stage_id"])
        if column is None:
            continue
        column.count = row["n"]
        column.total = money(row["amount_sum"] or ZERO)
        column.weighted_raw = money(row["weighted_sum"] or ZERO)
    # Rank only ids in the window (a narrow sort), then join the few cards to what they show.
    card_ids = (
        base.annotate(
            rank=Window(
                RowNumber(), partition_by=[F("stage_id")], order_by=[F("last_activity_at").desc(), F("pk").desc()]
            )
        )
        .filter(rank__lte=per_column)
        .values("pk")
    )
    cards = with_rotting(Opportunity.objects.filter(pk__in=card_ids).select_related("customer", "owner"), now=now)
    for card in cards.order_by("-last_activity_at", "-pk"):
        if card.stage_id in columns:
            columns[card.stage_id].cards.append(card)
    return Board(pipeline=pipeline, columns=[columns[stage.pk] for stage in stages])


# --- the detail page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: object
    gross: Decimal
    discount: Decimal
    net: Decimal


@dataclass(frozen=True)
class PlaybookStep:
    step: Step
    answers: dict
    answered: bool


@dataclass(frozen=True)
class Playbook:
    method: Method
    steps: list[PlaybookStep]

    @property
    def answered(self) -> int:
        return sum(1 for step in self.steps if step.answered)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def playbook_for(opportunity: Opportunity, *, buying_role_count: int) -> Playbook | None:
    method = method_get(opportunity.method)
    if method is None:
        return None
    steps = [
        PlaybookStep(
            step=step,
            answers=step_answers(opportunity.playbook, method, step),
            answered=step_is_answered(opportunity.playbook, method, step, buying_role_count=buying_role_count),
        )
        for step in method.steps
    ]
    return Playbook(method=method, steps=steps)


def opportunity_detail_data(*, opportunity: Opportunity, limit: int = 20) -> dict:
    """Everything the detail page shows besides the opportunity, in a fixed number of queries."""
    lines = []
    for line in opportunity.lines.select_related("product"):
        amounts = line_amounts(
            quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent
        )
        lines.append(LineView(line=line, gross=amounts.gross, discount=amounts.discount, net=amounts.net))
    changes = list(
        StageChange.objects.filter(opportunity=opportunity)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("-changed_at", "-id")
    )
    for change in changes:
        seconds = change.seconds_in_previous
        change.previous_entered_at = change.changed_at - timedelta(seconds=seconds) if seconds is not None else None
    buying_roles = list(opportunity.buying_roles.select_related("contact"))
    stages = list(opportunity.pipeline.stages.order_by("order", "id"))
    return {
        "lines": lines,
        "lines_net_total": sum((line.net for line in lines), ZERO),
        "stage_changes": changes,
        "stages": stages,
        "path_stages": [stage for stage in stages if stage.kind == Stage.Kind.OPEN],
        "buying_roles": buying_roles,
        "playbook": playbook_for(opportunity, buying_role_count=len(buying_roles)),
        "activities": list(
            Activity.objects.filter(opportunity=opportunity).select_related("assignee").order_by("-due_at")[:limit]
        ),
        "quotes": list(Quote.objects.filter(opportunity=opportunity).order_by("-issued_on", "-id")[:limit]),
        "weighted": weighted(opportunity.amount, opportunity.probability),
        "is_rotting": is_rotting(opportunity),
    }


def is_rotting(opportunity: Opportunity, *, now: datetime | None = None) -> bool:
    """For one opportunity whose stage is loaded (no query)."""
    rot_days = opportunity.stage.rot_days
    if opportunity.status != Opportunity.Status.OPEN or rot_days is None:
        return False
    return opportunity.last_activity_at < (now or timezone.now()) - timedelta(days=rot_days)


def loss_reasons_active() -> QuerySet[LossReason]:
    return LossReason.objects.filter(is_active=True)


def stages_for_move(*, opportunity: Opportunity) -> QuerySet[Stage]:
    """The stages an opportunity may be moved to: those of its pipeline."""
    return Stage.objects.filter(pipeline_id=opportunity.pipeline_id).order_by("order", "id")


# --- the 360° panel ----------------------------------------------------------------------------


def customer_opportunities_panel(*, user: User, customer: Customer, limit: int = 10) -> dict:
    """The customer's open opportunities the user may see, and what they won (two queries)."""
    visible = opportunities_for(user=user).filter(customer=customer)
    open_rows = list(
        visible.filter(status=Opportunity.Status.OPEN)
        .select_related("stage")
        .order_by(F("expected_close_date").asc(nulls_last=True), "-id")[: limit + 1]
    )
    won = visible.filter(status=Opportunity.Status.WON).aggregate(total=Sum("amount"), count=Count("pk"))
    return {
        "opportunities": open_rows[:limit],
        "has_more": len(open_rows) > limit,
        "won_total": money(won["total"] or ZERO),
        "won_count": won["count"],
    }


# --- setup -------------------------------------------------------------------------------------


def pipelines_with_counts() -> QuerySet[Pipeline]:
    return Pipeline.objects.annotate(stage_count=Count("stages"))


def stages_with_counts(*, pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.annotate(opportunity_count=Count("opportunities")).order_by("order", "id"))


def loss_reasons_with_counts() -> QuerySet[LossReason]:
    return LossReason.objects.annotate(use_count=Count("opportunity"))
