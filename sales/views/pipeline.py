"""The pipeline board, and the moves of an opportunity between stages (drag on the board, the
stage select of the detail page, win and lose)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, area_required
from crm_site.htmx import htmx_target
from sales.filters.pipeline import BoardFilterForm
from sales.forms.pipeline import LoseForm, MoveForm
from sales.selectors.pipeline import loss_reasons_active, opportunity_get, pipeline_board
from sales.services.pipeline import opportunity_lose, opportunity_move, opportunity_win
from sales.views.opportunities import render_detail

BOARD_ID = "pipeline-board"


def _board_context(request, *, error: str = "") -> dict:
    # The board's filters travel in the query string, also on the move URL, so a move re-renders
    # the board exactly as it was filtered.
    form = BoardFilterForm(request.GET or None, user=request.user)
    pipeline = form.selected_pipeline()
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    board = None
    if pipeline is not None:
        board = pipeline_board(user=request.user, pipeline=pipeline, owner=data.get("owner"), team=data.get("team"))
    return {"filter_form": form, "board": board, "board_error": error, "loss_reasons": loss_reasons_active()}


@area_required("sales")
def pipeline(request):
    context = _board_context(request)
    if htmx_target(request) == BOARD_ID:
        return render(request, "sales/pipeline/partials/board.html", context)
    return render(request, "sales/pipeline/board.html", context)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_POST
@area_required("sales")
def opportunity_move_view(request, pk: int):
    """Move to the posted stage. From the board (htmx) the board is re-rendered, with the error
    if the move was refused; from the detail page, back to it."""
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = MoveForm(request.POST, opportunity=opportunity)
    error = ""
    if form.is_valid():
        try:
            opportunity_move(
                opportunity=opportunity,
                stage=form.cleaned_data["stage"],
                by=request.user,
                loss_reason=form.cleaned_data["loss_reason"],
                loss_note=form.cleaned_data["loss_note"],
            )
        except ValidationError as exc:
            error = _error_text(exc)
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    if htmx_target(request) is not None:
        return render(request, "sales/pipeline/partials/board.html", _board_context(request, error=error))
    if error:
        return render_detail(request, opportunity, status=400, move_form=form)
    messages.success(request, _("Moved to %(stage)s.") % {"stage": form.cleaned_data["stage"].name})
    return redirect(opportunity)


@require_POST
@area_required("sales")
def opportunity_win_view(request, pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    try:
        opportunity_win(opportunity=opportunity, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Won! Well done."))
    return redirect(opportunity)


@require_POST
@area_required("sales")
def opportunity_lose_view(request, pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = LoseForm(request.POST)
    if form.is_valid():
        try:
            opportunity_lose(
                opportunity=opportunity,
                by=request.user,
                loss_reason=form.cleaned_data["loss_reason"],
                loss_note=form.cleaned_data["loss_note"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Marked as lost."))
            return redirect(opportunity)
    return render_detail(request, opportunity, status=400, lose_form=form)


urlpatterns = [
    path("pipeline/", pipeline, name="pipeline"),
    path("opportunities/<int:pk>/move/", opportunity_move_view, name="opportunity_move"),
    path("opportunities/<int:pk>/win/", opportunity_win_view, name="opportunity_win"),
    path("opportunities/<int:pk>/lose/", opportunity_lose_view, name="opportunity_lose"),
]
