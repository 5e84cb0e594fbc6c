"""Writes of the pipelines' configuration: pipelines, their stages, and the loss reasons."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from sales.models import LossReason, Opportunity, Pipeline, Stage, StageChange


@transaction.atomic
def pipeline_create(*, name: str) -> Pipeline:
    pipeline = Pipeline(name=name.strip(), order=(Pipeline.objects.aggregate(top=Max("order"))["top"] or 0) + 1)
    pipeline.full_clean()
    pipeline.save()
    return pipeline


@transaction.atomic
def pipeline_rename(*, pipeline: Pipeline, name: str) -> Pipeline:
    pipeline.name = name.strip()
    pipeline.full_clean()
    pipeline.save(update_fields=["name"])
    return pipeline


@transaction.atomic
def pipeline_set_default(*, pipeline: Pipeline) -> Pipeline:
    """Make ``pipeline`` the one new opportunities and the board start in."""
    if not pipeline.is_active:
        raise ValidationError(_("Activate the pipeline before making it the default."))
    # Clear the old default first: the database allows one default at a time.
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)
    pipeline.is_default = True
    pipeline.save(update_fields=["is_default"])
    return pipeline


@transaction.atomic
def pipeline_set_active(*, pipeline: Pipeline, is_active: bool) -> Pipeline:
    """Deactivate (hide from the board and new opportunities) or reactivate a pipeline; its
    opportunities and history stay."""
    if not is_active and pipeline.is_default:
        raise ValidationError(_("The default pipeline cannot be deactivated: make another one the default first."))
    pipeline.is_active = is_active
    pipeline.save(update_fields=["is_active"])
    return pipeline


STAGE_FIELDS = frozenset({"name", "kind", "probability", "rot_days"})


def _check_stage(stage: Stage) -> None:
    if stage.kind != Stage.Kind.OPEN and stage.rot_days is not None:
        raise ValidationError({"rot_days": _("Only open stages rot: leave this empty for won and lost stages.")})
    stage.full_clean()


@transaction.atomic
def stage_create(*, pipeline: Pipeline, **fields) -> Stage:
    if set(fields) - STAGE_FIELDS:
        raise ValidationError(_("Unknown stage fields."))
    top = pipeline.stages.aggregate(top=Max("order"))["top"]
    stage = Stage(pipeline=pipeline, order=0 if top is None else top + 1, **fields)
    stage.name = stage.name.strip()
    _check_stage(stage)
    stage.save()
    return stage


@transaction.atomic
def stage_update(*, stage: Stage, **fields) -> Stage:
    if set(fields) - STAGE_FIELDS:
        raise ValidationError(_("Unknown stage fields."))
    if "kind" in fields and fields["kind"] != stage.kind and stage.opportunities.exists():
        # Opportunities in the stage have the old kind's status; changing it would contradict them.
        raise ValidationError({"kind": _("Opportunities are in this stage: move them before changing its kind.")})
    if stage.kind == Stage.Kind.OPEN and fields.get("kind", Stage.Kind.OPEN) != Stage.Kind.OPEN:
        # Locked, so two edits at once cannot each turn one of the last two open stages.
        open_stages = Stage.objects.select_for_update().filter(pipeline_id=stage.pipeline_id, kind=Stage.Kind.OPEN)
        if not [pk for pk in open_stages.values_list("pk", flat=True) if pk != stage.pk]:
            raise ValidationError(
                {"kind": _("A pipeline needs at least one open stage: this is the last one, so it stays open.")}
            )
    for name, value in fields.items():
        setattr(stage, name, value.strip() if isinstance(value, str) else value)
    _check_stage(stage)
    stage.save()
    return stage


@transaction.atomic
def stage_move(*, stage: Stage, direction: str) -> Stage:
    """Swap the stage with its neighbour ("up" = earlier, "down" = later), renumbering the
    pipeline's stages so equal orders cannot make the swap a no-op."""
    if direction not in {"up", "down"}:
        raise ValidationError(_("Move a stage up or down."))
    stages = list(Stage.objects.select_for_update().filter(pipeline_id=stage.pipeline_id).order_by("order", "id"))
    index = next(i for i, other in enumerate(stages) if other.pk == stage.pk)
    neighbour = index - 1 if direction == "up" else index + 1
    if 0 <= neighbour < len(stages):
        stages[index], stages[neighbour] = stages[neighbour], stages[index]
    for order, other in enumerate(stages):
        other.order = order
    Stage.objects.bulk_update(stages, ["order"])
    return next(other for other in stages if other.pk == stage.pk)


@transaction.atomic
def stage_delete(*, stage: Stage) -> None:
    """Delete a stage no opportunity is in or has ever passed through (its history would lose
    its meaning), and never a pipeline's last open stage."""
    if (
        Opportunity.objects.filter(stage=stage).exists()
        or StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
    ):
        raise ValidationError(_("The stage %(name)s is in use and cannot be deleted.") % {"name": stage.name})
    if (
        stage.kind == Stage.Kind.OPEN
        and not Stage.objects.filter(pipeline_id=stage.pipeline_id, kind=Stage.Kind.OPEN).exclude(pk=stage.pk).exists()
    ):
        raise ValidationError(_("A pipeline needs at least one open stage."))
    stage.delete()


@transaction.atomic
def loss_reason_create(*, name: str) -> LossReason:
    reason = LossReason(name=name.strip())
    reason.full_clean()
    reason.save()
    return reason


@transaction.atomic
def loss_reason_set_active(*, loss_reason: LossReason, is_active: bool) -> LossReason:
    """Retire a reason from the list offered when losing a deal (past losses keep it)."""
    loss_reason.is_active = is_active
    loss_reason.save(update_fields=["is_active"])
    return loss_reason
