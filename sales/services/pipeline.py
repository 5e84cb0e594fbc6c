"""Writes of opportunities and pipelines."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.models import User
from customers.models import Customer, Source
from sales.models import Opportunity, Pipeline, Stage, StageChange


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
