"""Service pages: work orders on a ticket (staff side). Staff issue a work order to a contractor,
follow the contractor's updates in a panel the ticket page loads, and cancel a live order."""

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, area_required
from crm_site.htmx import htmx_target
from service.forms.work_orders import SkillFilterForm, WorkOrderCancelForm, WorkOrderIssueForm
from service.models import Ticket, WorkOrderUpdate
from service.selectors.work_orders import (
    ticket_changeable,
    work_order_staff_get,
    work_order_ticket_get,
    work_order_update_staff_get,
    work_orders_for_ticket,
)
from service.services.work_orders import LIVE_STATUSES, work_order_cancel, work_order_issue


def add_form_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def photo_response(update: WorkOrderUpdate) -> FileResponse:
    """A work order photo, shown inline (its type was checked against its bytes on upload)."""
    try:
        handle = update.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(update.photo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, filename=update.photo.name.rsplit("/", 1)[-1])
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _panel(request, ticket: Ticket, *, problem: str = ""):
    return render(
        request,
        "service/work_orders/_ticket_panel.html",
        {
            "ticket": ticket,
            "work_orders": work_orders_for_ticket(ticket=ticket),
            "can_change": ticket_changeable(user=request.user, ticket=ticket),
            "problem": problem,
            "live_statuses": LIVE_STATUSES,
        },
    )


@area_required("service")
def work_order_create(request, pk: int):
    ticket = work_order_ticket_get(user=request.user, pk=pk, action=Action.CHANGE)
    # The contractors offered default to those with the skill the ticket's category needs.
    needed = ticket.category.skill if ticket.category_id and ticket.category.skill_id else None
    skill_form = SkillFilterForm(request.GET if "skill" in request.GET else None, initial={"skill": needed})
    skill = skill_form.cleaned_data["skill"] if skill_form.is_bound and skill_form.is_valid() else needed
    form = WorkOrderIssueForm(request.POST or None, ticket=ticket, skill=skill)
    if request.method == "POST" and form.is_valid():
        try:
            work_order_issue(ticket=ticket, by=request.user, **form.service_kwargs())
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, _("Work order sent to the contractor."))
            return redirect(ticket)
    return render(
        request,
        "service/work_orders/work_order_form.html",
        {
            "ticket": ticket,
            "form": form,
            "skill_form": skill_form,
            "skill": skill,
            "needed_skill": needed,
            "ticket_url": ticket.get_absolute_url(),
        },
    )


@area_required("service")
def ticket_work_orders(request, pk: int):
    ticket = work_order_ticket_get(user=request.user, pk=pk)
    return _panel(request, ticket)


@require_POST
@area_required("service")
def work_order_cancel_view(request, pk: int):
    work_order = work_order_staff_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = WorkOrderCancelForm(request.POST)
    problem = ""
    if form.is_valid():
        try:
            work_order_cancel(work_order=work_order, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            problem = " ".join(error.messages)
    else:
        problem = " ".join(message for errors in form.errors.values() for message in errors)
    if htmx_target(request) is not None:
        return _panel(request, work_order.ticket, problem=problem)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("Work order cancelled."))
    return redirect(work_order.ticket)


@area_required("service")
def work_order_photo(request, pk: int):
    return photo_response(work_order_update_staff_get(user=request.user, pk=pk))


urlpatterns = [
    path("tickets/<int:pk>/work-orders/", ticket_work_orders, name="ticket_work_orders"),
    path("tickets/<int:pk>/work-orders/new/", work_order_create, name="work_order_create"),
    path("work-orders/<int:pk>/cancel/", work_order_cancel_view, name="work_order_cancel"),
    path("work-orders/photos/<int:pk>/", work_order_photo, name="work_order_photo"),
]
