"""Writes of opportunities: create, edit, move through the stages, win and lose, products,
playbook answers and buying roles, and the rotting reminders.

The pipeline's own configuration (pipelines, stages, loss reasons) is in pipeline_setup.py.
"""

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm_site.models import User
from crm_site.services import notification_create
from customers.models import Customer, Interaction, Source
from customers.services import interaction_record
from sales.methods import clean_step_answers, method_get
from sales.models import (
    BuyingRole,
    LossReason,
    Opportunity,
    OpportunityLine,
    Pipeline,
    Product,
    SalesSettings,
    Stage,
    StageChange,
)
from sales.selectors.pipeline import rotting_condition
from sales.totals import ZERO, line_amounts

# What opportunity_update may change; the stage and status change only through opportunity_move.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "customer",
        "amount",
        "probability",
        "expected_close_date",
        "owner",
        "team",
        "source",
        "competitor",
        "next_step",
        "description",
        "method",
    }
)
ROT_BATCH_SIZE = 2000


def default_pipeline() -> Pipeline:
    pipeline = (
        Pipeline.objects.filter(is_default=True, is_active=True).first()
        or Pipeline.objects.filter(is_active=True).first()
    )
    if pipeline is None:
        raise ValidationError(_("No active pipeline is set up yet."))
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "id").first()
    if stage is None:
        raise ValidationError(_("The pipeline %(name)s has no open stage.") % {"name": pipeline.name})
    return stage


def _closing_stage(pipeline: Pipeline, kind: str) -> Stage:
    stage = pipeline.stages.filter(kind=kind).order_by("order", "id").first()
    if stage is None:
        label = Stage.Kind(kind).label
        raise ValidationError(
            _("The pipeline %(name)s has no “%(kind)s” stage.") % {"name": pipeline.name, "kind": label}
        )
    return stage


@transaction.atomic
def opportunity_create(
    *,
    customer: Customer,
    name: str,
    created_by: User | None,
    owner: User | None = None,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    amount: Decimal = Decimal(0),
    expected_close_date: date | None = None,
    source: Source | None = None,
    **fields,
) -> Opportunity:
    """Open an opportunity in ``stage`` (default: the first open stage of the pipeline, itself
    defaulting to the default pipeline), owned by ``owner`` (default: the creator), and record
    its entry into the first stage, from which cycle times are measured."""
    pipeline = pipeline or (stage.pipeline if stage else default_pipeline())
    stage = stage or first_open_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("The stage belongs to another pipeline.")})
    owner = owner or created_by
    now = timezone.now()
    opportunity = Opportunity(
        customer=customer,
        name=name.strip(),
        pipeline=pipeline,
        stage=stage,
        status=Opportunity.Status.OPEN,
        probability=stage.probability,
        amount=amount,
        expected_close_date=expected_close_date,
        source=source or customer.source,
        owner=owner,
        team_id=owner.team_id if owner else None,
        stage_entered_at=now,
        last_activity_at=now,
        created_by=created_by,
        **fields,
    )
    opportunity.full_clean()
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, changed_by=created_by, changed_at=now
    )
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, **fields) -> Opportunity:
    """Change an opportunity's facts (not its stage: see ``opportunity_move``). A new owner
    brings their team unless a team is given."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)})
    if "owner" in fields and "team" not in fields and fields["owner"] is not None:
        fields["team"] = fields["owner"].team
    for field, value in fields.items():
        setattr(opportunity, field, value.strip() if isinstance(value, str) else value)
    if "method" in fields and fields["method"] and method_get(fields["method"]) is None:
        raise ValidationError({"method": _("Unknown selling method.")})
    opportunity.last_activity_at = timezone.now()
    opportunity.full_clean()
    # Only what was edited: a board move made meanwhile (stage, status, probability...) stays.
    opportunity.save(update_fields=[*fields, "last_activity_at", "updated_at"])
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity,
    stage: Stage,
    by: User | None,
    loss_reason: LossReason | None = None,
    loss_note: str = "",
) -> Opportunity:
    """Move the opportunity to ``stage`` and record the change with the time spent in the
    previous stage. A won or lost stage closes it (a lost one needs a reason from the managed
    list); an open stage reopens a closed one. Returns the opportunity as saved."""
    if stage.kind == Stage.Kind.LOST:
        if loss_reason is None:
            raise ValidationError({"loss_reason": _("Choose why the opportunity was lost.")})
        if not loss_reason.is_active:
            raise ValidationError({"loss_reason": _("This loss reason is no longer in use.")})
    # Locked: two people dragging the same card at once must not both record a change.
    locked = Opportunity.objects.select_for_update().select_related("customer").get(pk=opportunity.pk)
    if not stage.pipeline.is_active:
        raise ValidationError({"stage": _("This pipeline is no longer in use.")})
    if locked.stage_id == stage.pk and (stage.kind != Stage.Kind.LOST or locked.loss_reason_id == loss_reason.pk):
        return locked
    now = timezone.now()
    previous_stage_id = locked.stage_id
    seconds = max(0, int((now - locked.stage_entered_at).total_seconds()))
    locked.pipeline_id = stage.pipeline_id
    locked.stage = stage
    locked.probability = stage.probability
    locked.stage_entered_at = now
    locked.last_activity_at = now
    locked.rot_notified_at = None
    if stage.kind == Stage.Kind.OPEN:
        locked.status = Opportunity.Status.OPEN
        locked.closed_at = None
        locked.loss_reason = None
        locked.loss_note = ""
    else:
        locked.status = Opportunity.Status(stage.kind)
        locked.closed_at = now
        locked.loss_reason = loss_reason if stage.kind == Stage.Kind.LOST else None
        locked.loss_note = loss_note.strip() if stage.kind == Stage.Kind.LOST else ""
    locked.full_clean()
    locked.save()
    StageChange.objects.create(
        opportunity=locked,
        from_stage_id=previous_stage_id,
        to_stage=stage,
        changed_by=by,
        changed_at=now,
        seconds_in_previous=seconds,
    )
    if stage.kind != Stage.Kind.OPEN:
        _record_outcome(locked, by=by, now=now)
    return locked


def _record_outcome(opportunity: Opportunity, *, by: User | None, now: datetime) -> None:
    if opportunity.status == Opportunity.Status.WON:
        subject = _("Opportunity won: %(name)s") % {"name": opportunity.name}
        body = ""
    else:
        subject = _("Opportunity lost: %(name)s") % {"name": opportunity.name}
        body = str(opportunity.loss_reason) + (f"\n{opportunity.loss_note}" if opportunity.loss_note else "")
    interaction_record(
        customer=opportunity.customer,
        kind=Interaction.Kind.SYSTEM,
        user=by,
        occurred_at=now,
        subject=subject,
        body=body,
        url=opportunity.get_absolute_url(),
    )


def opportunity_win(*, opportunity: Opportunity, by: User | None) -> Opportunity:
    """Move to the pipeline's (first) won stage."""
    return opportunity_move(opportunity=opportunity, stage=_closing_stage(opportunity.pipeline, Stage.Kind.WON), by=by)


def opportunity_lose(
    *, opportunity: Opportunity, by: User | None, loss_reason: LossReason | None, loss_note: str = ""
) -> Opportunity:
    """Move to the pipeline's (first) lost stage, with the reason from the managed list."""
    return opportunity_move(
        opportunity=opportunity,
        stage=_closing_stage(opportunity.pipeline, Stage.Kind.LOST),
        by=by,
        loss_reason=loss_reason,
        loss_note=loss_note,
    )


@transaction.atomic
def opportunity_lines_set(*, opportunity: Opportunity, lines: list[dict]) -> list[OpportunityLine]:
    """Replace the opportunity's products. Each line is a dict of ``product``, ``quantity``,
    ``unit_price`` (default: the product's list price) and ``discount_percent``. When there are
    lines the opportunity's amount becomes their net total (after discounts, before tax)."""
    # Locked: two editors saving the products at once would otherwise interleave delete/insert.
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    built: list[OpportunityLine] = []
    errors: dict[str, list[str]] = {}
    for index, data in enumerate(lines, start=1):
        product: Product = data["product"]
        line = OpportunityLine(
            opportunity=opportunity,
            product=product,
            quantity=data.get("quantity") or Decimal(1),
            unit_price=data["unit_price"] if data.get("unit_price") is not None else product.list_price,
            discount_percent=data.get("discount_percent") or ZERO,
        )
        problems = []
        if line.quantity <= 0:
            problems.append(_("Line %(n)d: the quantity must be more than zero.") % {"n": index})
        if line.unit_price < 0:
            problems.append(_("Line %(n)d: the price cannot be negative.") % {"n": index})
        if not ZERO <= line.discount_percent <= 100:
            problems.append(_("Line %(n)d: the discount must be between 0 and 100%%.") % {"n": index})
        try:
            # The product is a loaded instance: validating the key would query once per line.
            line.full_clean(exclude=["opportunity", "product"])
        except ValidationError as error:
            problems.extend(f"{index}: {message}" for message in error.messages)
        if problems:
            errors.setdefault("lines", []).extend(problems)
        built.append(line)
    if errors:
        raise ValidationError(errors)
    OpportunityLine.objects.filter(opportunity=locked).delete()
    OpportunityLine.objects.bulk_create(built)
    if built:
        locked.amount = sum(
            (
                line_amounts(
                    quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent
                ).net
                for line in built
            ),
            ZERO,
        )
    locked.last_activity_at = timezone.now()
    locked.save(update_fields=["amount", "last_activity_at", "updated_at"])
    opportunity.amount, opportunity.last_activity_at = locked.amount, locked.last_activity_at
    return built


@transaction.atomic
def opportunity_playbook_save(*, opportunity: Opportunity, step: str, answers: dict[str, str]) -> Opportunity:
    """Store the answers of one step of the opportunity's selling method."""
    method = method_get(opportunity.method)
    if method is None:
        raise ValidationError(_("Choose a selling method first."))
    cleaned = clean_step_answers(method, step, answers)
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    playbook = dict(locked.playbook or {})
    method_answers = dict(playbook.get(method.key) or {})
    method_answers[step] = cleaned
    playbook[method.key] = method_answers
    now = timezone.now()
    Opportunity.objects.filter(pk=locked.pk).update(playbook=playbook, last_activity_at=now, updated_at=now)
    opportunity.playbook = playbook
    opportunity.last_activity_at = now
    return opportunity


def _buying_role_save(role: BuyingRole, fields: dict) -> BuyingRole:
    for field, value in fields.items():
        setattr(role, field, value.strip() if isinstance(value, str) else value)
    role.full_clean()
    role.save()
    Opportunity.objects.filter(pk=role.opportunity_id).update(last_activity_at=timezone.now())
    return role


BUYING_ROLE_FIELDS = frozenset({"name", "job_title", "contact", "role", "stance", "influence", "notes"})


@transaction.atomic
def buying_role_create(*, opportunity: Opportunity, **fields) -> BuyingRole:
    if set(fields) - BUYING_ROLE_FIELDS:
        raise ValidationError(_("Unknown buying role fields."))
    return _buying_role_save(BuyingRole(opportunity=opportunity), fields)


@transaction.atomic
def buying_role_update(*, buying_role: BuyingRole, **fields) -> BuyingRole:
    if set(fields) - BUYING_ROLE_FIELDS:
        raise ValidationError(_("Unknown buying role fields."))
    return _buying_role_save(buying_role, fields)


@transaction.atomic
def buying_role_delete(*, buying_role: BuyingRole) -> None:
    Opportunity.objects.filter(pk=buying_role.opportunity_id).update(last_activity_at=timezone.now())
    buying_role.delete()


def opportunities_remind_rotting(*, now: datetime | None = None, batch_size: int = ROT_BATCH_SIZE) -> int:
    """Tell each owner, in one notification, how many of their opportunities are rotting. An
    opportunity is mentioned once per ``SalesSettings.rot_reminder_days``: each batch is claimed
    by setting ``rot_notified_at`` under a lock that a concurrent run skips, in the transaction
    that writes its notifications. Returns the number of owners notified."""
    now = now or timezone.now()
    remind_before = now - timedelta(days=SalesSettings.load().rot_reminder_days)
    due = (
        Opportunity.objects.filter(rotting_condition(now=now), owner__isnull=False, owner__is_active=True)
        .filter(Q(rot_notified_at__isnull=True) | Q(rot_notified_at__lte=remind_before))
        .order_by()
    )
    owners_notified: set[int] = set()
    while True:
        # The claim and the notifications commit together: a crash rolls both back, and the
        # next run reminds again (at least once, never silently dropped).
        with transaction.atomic():
            claimed = list(
                due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", "owner_id")[:batch_size]
            )
            if not claimed:
                break
            Opportunity.objects.filter(pk__in=[pk for pk, _owner in claimed]).update(rot_notified_at=now)
            _notify_rotting(claimed, now=now)
        owners_notified.update(owner_id for _pk, owner_id in claimed)
        if len(claimed) < batch_size:
            break
    return len(owners_notified)


def _notify_rotting(claimed: list[tuple[int, int]], *, now: datetime) -> None:
    """One notification per owner for a claimed batch of (opportunity id, owner id)."""
    per_owner: Counter[int] = Counter(owner_id for _pk, owner_id in claimed)
    first_pk = {owner_id: pk for pk, owner_id in sorted(claimed, reverse=True)}
    owners = User.objects.in_bulk(list(per_owner))
    for owner_id, count in per_owner.items():
        url = reverse("sales:opportunity_list") + "?" + urlencode({"rotting": "true", "owner": owner_id})
        notification_create(
            recipient=owners[owner_id],
            title=ngettext(
                "%(count)d of your opportunities is rotting",
                "%(count)d of your opportunities are rotting",
                count,
            )
            % {"count": count},
            body=_("Nobody has touched them for longer than their stage allows. Call, update or close them."),
            url=url,
            # Per batch (a batch's rows are claimed once), so a second batch is not deduplicated away.
            dedupe_key=f"sales-rotting:{owner_id}:{now.isoformat()}:{first_pk[owner_id]}",
        )
