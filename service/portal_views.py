"""The contractor portal: the only pages a contractor can open. A contractor sees their own work
orders (the copied job details, never the ticket or the customer's file) and acts on them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import area_required
from crm_site.pagination import CappedPaginator
from service.forms.work_orders import WorkOrderDeclineForm, WorkOrderDoneForm, WorkOrderNoteForm
from service.models import WorkOrder
from service.selectors.work_orders import (
    portal_photo_get,
    portal_status_counts,
    portal_work_order_get,
    portal_work_orders,
)
from service.services.work_orders import (
    work_order_accept,
    work_order_decline,
    work_order_done,
    work_order_note,
    work_order_start,
)
from service.views.work_orders import add_form_errors, photo_response

PAGE_SIZE = 20


@area_required("portal")
def index(request):
    status = request.GET.get("status", "")
    if status not in WorkOrder.Status.values:
        status = ""
    counts = portal_status_counts(user=request.user)
    page = CappedPaginator(portal_work_orders(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "service/portal/index.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": [(value, label, counts[value]) for value, label in WorkOrder.Status.choices],
            "total": sum(counts.values()),
        },
    )


def _detail(request, work_order: WorkOrder, **forms):
    context = {
        "work_order": work_order,
        "decline_form": forms.get("decline_form") or WorkOrderDeclineForm(),
        "note_form": forms.get("note_form") or WorkOrderNoteForm(),
        "done_form": forms.get("done_form") or WorkOrderDoneForm(),
    }
    return render(request, "service/portal/work_order.html", context, status=400 if forms else 200)


@area_required("portal")
def work_order(request, pk: int):
    return _detail(request, portal_work_order_get(user=request.user, pk=pk))


def _simple_action(request, pk: int, action, done_message: str):
    work_order = portal_work_order_get(user=request.user, pk=pk)
    try:
        action(work_order=work_order, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done_message)
    return redirect("portal:work_order", pk=pk)


@require_POST
@area_required("portal")
def accept(request, pk: int):
    return _simple_action(request, pk, work_order_accept, _("You accepted the job."))


@require_POST
@area_required("portal")
def start(request, pk: int):
    return _simple_action(request, pk, work_order_start, _("The job is marked as started."))


@require_POST
@area_required("portal")
def decline(request, pk: int):
    work_order = portal_work_order_get(user=request.user, pk=pk)
    form = WorkOrderDeclineForm(request.POST)
    if form.is_valid():
        try:
            work_order_decline(work_order=work_order, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, _("You declined the job."))
            return redirect("portal:work_order", pk=pk)
    return _detail(request, work_order, decline_form=form)


@require_POST
@area_required("portal")
def note(request, pk: int):
    work_order = portal_work_order_get(user=request.user, pk=pk)
    form = WorkOrderNoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            work_order_note(
                work_order=work_order, by=request.user, note=form.cleaned_data["note"], photo=form.cleaned_data["photo"]
            )
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, _("Your update was added."))
            return redirect("portal:work_order", pk=pk)
    return _detail(request, work_order, note_form=form)


@require_POST
@area_required("portal")
def done(request, pk: int):
    work_order = portal_work_order_get(user=request.user, pk=pk)
    form = WorkOrderDoneForm(request.POST)
    if form.is_valid():
        try:
            work_order_done(work_order=work_order, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, _("The job is marked as done. Thank you."))
            return redirect("portal:work_order", pk=pk)
    return _detail(request, work_order, done_form=form)


@area_required("portal")
def photo(request, pk: int):
    return photo_response(portal_photo_get(user=request.user, pk=pk))
