"""Service pages: tickets (list, new, detail with the conversation, SLA, transfers and history),
the ticket's POST actions and attachment downloads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, area_required
from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from sales.forms.orders import CustomerSearchForm
from service.filters.tickets import TicketFilter
from service.forms.tickets import MessageForm, StatusForm, TicketEditForm, TicketForm, TransferForm, status_choices
from service.selectors import tickets as selectors
from service.services import tickets as services
from service.services.ticket_attachments import IMAGE_TYPES

LIST_PAGE_SIZE = 25
RESULTS_TARGET = "ticket-results"


def _form_error(form, error: ValidationError) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@area_required("service")
def ticket_list(request):
    ticket_filter = TicketFilter(
        request.GET or None, queryset=selectors.ticket_list_queryset(user=request.user), request=request
    )
    rows = ticket_filter.qs if ticket_filter.is_bound else ticket_filter.queryset
    page = CappedPaginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.tickets_with_deadlines(page.object_list)
    context = {
        "filter": ticket_filter,
        "page_obj": page,
        "handoff_limit": selectors.handoff_limit(),
        "can_create": selectors.can_create_tickets(request.user),
    }
    template = (
        "service/tickets/partials/results.html"
        if htmx_target(request) == RESULTS_TARGET
        else "service/tickets/list.html"
    )
    return render(request, template, context)


@area_required("service")
def ticket_create(request):
    if not selectors.can_create_tickets(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    if not source.get("customer"):
        search = CustomerSearchForm(request.GET)
        query = search.data.get("q", "")
        context = {
            "search": search,
            "query": query,
            "results": selectors.customer_search(user=request.user, query=query),
        }
        return render(request, "service/tickets/customer_picker.html", context)
    customer = selectors.ticket_customer(user=request.user, pk=source["customer"])
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                customer=customer,
                subject=data["subject"],
                kind=data["kind"],
                channel=data["channel"],
                description=data["description"],
                category=data["category"],
                priority=data["priority"],
                created_by=request.user,
                attachments=data["attachments"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
            return redirect("service:ticket_detail", ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "service/tickets/form.html", {"form": form, "customer": customer}, status=status)


def _detail_context(request, ticket, **forms) -> dict:
    context = selectors.ticket_page(user=request.user, ticket=ticket)
    context["status_choices"] = status_choices(ticket)
    can_change = context["can_change"]
    if can_change:
        context["reply_form"] = forms.get("reply_form") or MessageForm(prefix="reply")
        context["note_form"] = forms.get("note_form") or MessageForm(prefix="note")
        context["transfer_form"] = forms.get("transfer_form") or TransferForm(user=request.user, ticket=ticket)
        context["edit_form"] = forms.get("edit_form") or TicketEditForm(ticket=ticket)
        context["open_panel"] = next((name for name, form in forms.items() if form is not None), "")
    return context


@area_required("service")
def ticket_detail(request, pk: int):
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    return render(request, "service/tickets/detail.html", _detail_context(request, ticket))


def _changeable(request, pk):
    return selectors.ticket_get(user=request.user, pk=pk, action=Action.CHANGE)


def _invalid(request, ticket, **forms):
    return render(request, "service/tickets/detail.html", _detail_context(request, ticket, **forms), status=400)


def _message_action(request, pk: int, *, prefix: str, service, success: str):
    ticket = _changeable(request, pk)
    form = MessageForm(request.POST, request.FILES, prefix=prefix)
    if form.is_valid():
        try:
            service(
                ticket=ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, success)
            return redirect("service:ticket_detail", ticket.pk)
    return _invalid(request, ticket, **{f"{prefix}_form": form})


@require_POST
@area_required("service")
def ticket_reply(request, pk: int):
    return _message_action(request, pk, prefix="reply", service=services.ticket_reply, success=_("Reply sent."))


@require_POST
@area_required("service")
def ticket_note(request, pk: int):
    return _message_action(request, pk, prefix="note", service=services.ticket_note, success=_("Note added."))


@require_POST
@area_required("service")
def ticket_status_change(request, pk: int):
    ticket = _changeable(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("service:ticket_detail", ticket.pk)
    try:
        services.ticket_set_status(
            ticket=ticket, status=form.cleaned_data["status"], by=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Status changed to “%(status)s”.") % {"status": ticket.get_status_display()})
    return redirect("service:ticket_detail", ticket.pk)


@require_POST
@area_required("service")
def ticket_transfer(request, pk: int):
    ticket = _changeable(request, pk)
    form = TransferForm(request.POST, user=request.user, ticket=ticket)
    if form.is_valid():
        try:
            transfer = services.ticket_transfer(
                ticket=ticket, to_user=form.cleaned_data["to_user"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Ticket handed over to %(user)s.") % {"user": transfer.to_user})
            # The new owner may be in another team: come back to the list if the ticket is out of reach now.
            if not selectors.tickets_for(user=request.user).filter(pk=ticket.pk).exists():
                return redirect("service:ticket_list")
            return redirect("service:ticket_detail", ticket.pk)
    return _invalid(request, ticket, transfer_form=form)


@require_POST
@area_required("service")
def ticket_edit(request, pk: int):
    ticket = _changeable(request, pk)
    form = TicketEditForm(request.POST, ticket=ticket)
    if form.is_valid():
        try:
            services.ticket_update(ticket=ticket, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Ticket updated."))
            return redirect("service:ticket_detail", ticket.pk)
    return _invalid(request, ticket, edit_form=form)


@area_required("service")
def ticket_attachment(request, pk: int):
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=attachment.content_type not in IMAGE_TYPES,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    # Uploaded content is never interpreted by the browser as anything but its declared type.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


urlpatterns = [
    path("tickets/", ticket_list, name="ticket_list"),
    path("tickets/new/", ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/reply/", ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", ticket_note, name="ticket_note"),
    path("tickets/<int:pk>/status/", ticket_status_change, name="ticket_status_change"),
    path("tickets/<int:pk>/transfer/", ticket_transfer, name="ticket_transfer"),
    path("tickets/<int:pk>/edit/", ticket_edit, name="ticket_edit"),
    path("tickets/attachments/<int:pk>/", ticket_attachment, name="ticket_attachment"),
]
