"""Setup of the sales process's pipelines: pipelines, their stages, and the loss reasons."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import area_required
from sales.forms.pipeline import LossReasonForm, PipelineForm, StageForm
from sales.models import LossReason, Pipeline, Stage
from sales.selectors.pipeline import loss_reasons_with_counts, pipelines_with_counts, stages_with_counts
from sales.services.pipeline_setup import (
    loss_reason_create,
    loss_reason_set_active,
    pipeline_create,
    pipeline_rename,
    pipeline_set_active,
    pipeline_set_default,
    stage_create,
    stage_delete,
    stage_move,
    stage_update,
)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _posted_flag(request) -> bool:
    return request.POST.get("value") == "on"


@area_required("sales_setup")
def pipeline_setup(request):
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = pipeline_create(name=form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Pipeline %(name)s created: now add its stages.") % {"name": pipeline.name})
            return redirect("sales:pipeline_setup_detail", pk=pipeline.pk)
    pipelines = pipelines_with_counts()
    return render(request, "sales/pipeline_setup/pipelines.html", {"pipelines": pipelines, "form": form})


@area_required("sales_setup")
def pipeline_setup_detail(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    rename_form = PipelineForm(request.POST or None, instance=pipeline, prefix="pipeline")
    if request.method == "POST" and rename_form.is_valid():
        try:
            pipeline_rename(pipeline=pipeline, name=rename_form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(rename_form, error)
        else:
            messages.success(request, _("Pipeline renamed."))
            return redirect("sales:pipeline_setup_detail", pk=pipeline.pk)
    return _render_pipeline(request, pipeline, rename_form=rename_form)


def _render_pipeline(request, pipeline: Pipeline, *, status: int = 200, **forms):
    stages = stages_with_counts(pipeline=pipeline)
    context = {
        "pipeline": pipeline,
        "stages": stages,
        "rename_form": forms.get("rename_form") or PipelineForm(instance=pipeline, prefix="pipeline"),
        "stage_form": forms.get("stage_form") or StageForm(pipeline=pipeline, prefix="new"),
        "edit_forms": {
            stage.pk: StageForm(instance=stage, pipeline=pipeline, prefix=f"s{stage.pk}") for stage in stages
        },
    }
    if "edit_form" in forms:
        context["edit_forms"][forms["edit_form"].instance.pk] = forms["edit_form"]
    return render(request, "sales/pipeline_setup/pipeline_detail.html", context, status=status)


@require_POST
@area_required("sales_setup")
def pipeline_default(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        pipeline_set_default(pipeline=pipeline)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is now the default pipeline.") % {"name": pipeline.name})
    return redirect("sales:pipeline_setup")


@require_POST
@area_required("sales_setup")
def pipeline_active(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        pipeline_set_active(pipeline=pipeline, is_active=_posted_flag(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Pipeline saved."))
    return redirect("sales:pipeline_setup")


@require_POST
@area_required("sales_setup")
def stage_create_view(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = StageForm(request.POST, pipeline=pipeline, prefix="new")
    if form.is_valid():
        try:
            stage_create(pipeline=pipeline, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Stage added."))
            return redirect("sales:pipeline_setup_detail", pk=pipeline.pk)
    return _render_pipeline(request, pipeline, status=400, stage_form=form)


@require_POST
@area_required("sales_setup")
def stage_edit(request, pk: int):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    # Bound to a fresh copy: a failed edit must not show the half-changed stage in the table.
    form = StageForm(request.POST, instance=Stage.objects.get(pk=pk), pipeline=stage.pipeline, prefix=f"s{pk}")
    if form.is_valid():
        try:
            stage_update(stage=stage, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Stage saved."))
            return redirect("sales:pipeline_setup_detail", pk=stage.pipeline_id)
    return _render_pipeline(request, stage.pipeline, status=400, edit_form=form)


@require_POST
@area_required("sales_setup")
def stage_move_view(request, pk: int):
    stage = get_object_or_404(Stage, pk=pk)
    try:
        stage_move(stage=stage, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("sales:pipeline_setup_detail", pk=stage.pipeline_id)


@require_POST
@area_required("sales_setup")
def stage_delete_view(request, pk: int):
    stage = get_object_or_404(Stage, pk=pk)
    try:
        stage_delete(stage=stage)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Stage deleted."))
    return redirect("sales:pipeline_setup_detail", pk=stage.pipeline_id)


@area_required("sales_setup")
def loss_reason_list(request):
    form = LossReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            loss_reason_create(name=form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Loss reason added."))
            return redirect("sales:loss_reason_list")
    reasons = loss_reasons_with_counts()
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/pipeline_setup/loss_reasons.html", {"reasons": reasons, "form": form}, status=status)


@require_POST
@area_required("sales_setup")
def loss_reason_active(request, pk: int):
    reason = get_object_or_404(LossReason, pk=pk)
    loss_reason_set_active(loss_reason=reason, is_active=_posted_flag(request))
    messages.success(request, _("Loss reason saved."))
    return redirect("sales:loss_reason_list")


urlpatterns = [
    path("setup/pipelines/", pipeline_setup, name="pipeline_setup"),
    path("setup/pipelines/<int:pk>/", pipeline_setup_detail, name="pipeline_setup_detail"),
    path("setup/pipelines/<int:pk>/default/", pipeline_default, name="pipeline_set_default"),
    path("setup/pipelines/<int:pk>/active/", pipeline_active, name="pipeline_set_active"),
    path("setup/pipelines/<int:pk>/stages/", stage_create_view, name="stage_create"),
    path("setup/stages/<int:pk>/", stage_edit, name="stage_edit"),
    path("setup/stages/<int:pk>/move/", stage_move_view, name="stage_move"),
    path("setup/stages/<int:pk>/delete/", stage_delete_view, name="stage_delete"),
    path("setup/loss-reasons/", loss_reason_list, name="loss_reason_list"),
    path("setup/loss-reasons/<int:pk>/active/", loss_reason_active, name="loss_reason_set_active"),
]
