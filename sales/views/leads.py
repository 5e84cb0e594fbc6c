"""Leads: the list with its Excel export and import, create and edit, the lead page with its
status actions and hand-over, and conversion into a customer with an opportunity."""

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm_site.access import Action, Scope, area_required, record_scope
from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from sales.filters.leads import LeadFilter
from sales.forms.leads import ConvertForm, DisqualifyForm, LeadForm, LeadImportForm, ReassignForm
from sales.models import Lead
from sales.selectors.leads import (
    can_change_lead,
    can_reassign_leads,
    convert_candidates,
    lead_detail_data,
    lead_get,
    lead_list_queryset,
    lead_owner_choices,
    leads_for,
    reassign_targets,
    sees_unassigned_leads,
)
from sales.services import lead_excel
from sales.services.leads import (
    lead_assign_auto,
    lead_convert,
    lead_create,
    lead_disqualify,
    lead_mark_contacted,
    lead_qualify,
    lead_reassign,
    lead_reopen,
    lead_update,
)

LIST_PAGE_SIZE = 25
EXPORT_MAX_ROWS = 50_000  # written within the request; narrow the filters for more


def _can_create(user) -> bool:
    return record_scope(user, "sales", Action.CHANGE) != Scope.NONE


def _filtered(request) -> LeadFilter:
    return LeadFilter(
        request.GET or None,
        queryset=lead_list_queryset(user=request.user),
        owners=lead_owner_choices(user=request.user),
        show_unassigned=sees_unassigned_leads(user=request.user),
    )


@area_required("sales")
def lead_list(request):
    lead_filter = _filtered(request)
    queryset = lead_filter.qs if lead_filter.is_bound else lead_filter.queryset
    page = CappedPaginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": lead_filter, "page_obj": page, "can_create": _can_create(request.user)}
    partial = htmx_target(request) == "lead-results"
    return render(request, "sales/leads/results.html" if partial else "sales/leads/list.html", context)


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@area_required("sales")
def lead_create_view(request):
    if not _can_create(request.user):
        raise PermissionDenied
    owners = reassign_targets(user=request.user) if can_reassign_leads(user=request.user) else None
    form = LeadForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        fields = form.service_kwargs()
        if owners is None:
            fields["owner"] = request.user  # a rep's leads are their own
        try:
            lead = lead_create(created_by=request.user, channel=Lead.Channel.MANUAL, **fields)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Lead %(name)s created.") % {"name": lead.name})
            if leads_for(user=request.user).filter(pk=lead.pk).exists():
                return redirect(lead)
            return redirect("sales:lead_list")
    return render(request, "sales/leads/form.html", {"form": form, "lead": None})


@area_required("sales")
def lead_edit(request, pk: int):
    lead = lead_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = LeadForm(request.POST or None, instance=lead)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_update(lead=lead, **form.service_kwargs())
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Lead %(name)s saved.") % {"name": lead.name})
            return redirect(lead)
    return render(request, "sales/leads/form.html", {"form": form, "lead": lead})


def _render_detail(request, lead: Lead, *, disqualify_form=None, reassign_form=None, status: int = 200):
    can_reassign = can_reassign_leads(user=request.user)
    context = {
        "lead": lead,
        "data": lead_detail_data(lead=lead),
        "can_change": can_change_lead(user=request.user, lead=lead),
        "is_open": lead.status in (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED),
        "can_convert": lead.status in (Lead.Status.CONTACTED, Lead.Status.QUALIFIED),
        "can_assign_auto": can_reassign and lead.status != Lead.Status.CONVERTED,
        "disqualify_form": disqualify_form or DisqualifyForm(),
        "reassign_form": (reassign_form or ReassignForm(targets=reassign_targets(user=request.user)))
        if can_reassign
        else None,
    }
    return render(request, "sales/leads/detail.html", context, status=status)


@area_required("sales")
def lead_detail(request, pk: int):
    return _render_detail(request, lead_get(user=request.user, pk=pk))


def _status_action(request, pk: int, service, done: str):
    lead = lead_get(user=request.user, pk=pk, action=Action.CHANGE)
    try:
        service(lead=lead, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(lead)


@require_POST
@area_required("sales")
def lead_mark_contacted_view(request, pk: int):
    return _status_action(request, pk, lead_mark_contacted, _("Marked as contacted."))


@require_POST
@area_required("sales")
def lead_qualify_view(request, pk: int):
    return _status_action(request, pk, lead_qualify, _("Lead qualified."))


@require_POST
@area_required("sales")
def lead_reopen_view(request, pk: int):
    return _status_action(request, pk, lead_reopen, _("Lead reopened."))


@require_POST
@area_required("sales")
def lead_disqualify_view(request, pk: int):
    lead = lead_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = DisqualifyForm(request.POST)
    if form.is_valid():
        try:
            lead_disqualify(lead=lead, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Lead disqualified."))
            return redirect(lead)
    return _render_detail(request, lead, disqualify_form=form, status=400)


@require_POST
@area_required("sales")
def lead_reassign_view(request, pk: int):
    if not can_reassign_leads(user=request.user):
        raise PermissionDenied
    lead = lead_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = ReassignForm(request.POST, targets=reassign_targets(user=request.user))
    if form.is_valid():
        try:
            lead_reassign(
                lead=lead, to_user=form.cleaned_data["to_user"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Lead handed over to %(name)s.") % {"name": form.cleaned_data["to_user"]})
            return redirect(lead)
    return _render_detail(request, lead, reassign_form=form, status=400)


@require_POST
@area_required("sales")
def lead_assign_auto_view(request, pk: int):
    """Run the assignment rules again on one lead (an unassigned web lead, once a rule fits)."""
    if not can_reassign_leads(user=request.user):
        raise PermissionDenied
    lead = lead_get(user=request.user, pk=pk, action=Action.CHANGE)
    try:
        owner = lead_assign_auto(lead=lead)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(lead)
    if owner is None:
        messages.warning(request, _("No assignment rule matches this lead: hand it over by hand."))
    else:
        messages.success(request, _("Lead assigned to %(name)s by the rules.") % {"name": owner})
    if leads_for(user=request.user).filter(pk=lead.pk).exists():
        return redirect(lead)
    return redirect("sales:lead_list")


@area_required("sales")
def lead_convert_view(request, pk: int):
    lead = lead_get(user=request.user, pk=pk, action=Action.CHANGE)
    if lead.status == Lead.Status.CONVERTED and lead.opportunity_id:
        return redirect(lead.opportunity)
    if request.method == "GET" and lead.status not in (Lead.Status.CONTACTED, Lead.Status.QUALIFIED):
        messages.error(request, _("Only a qualified or contacted lead can be converted."))
        return redirect(lead)
    candidates, visible = convert_candidates(user=request.user, lead=lead)
    form = ConvertForm(request.POST or None, lead=lead, candidates=candidates, visible=visible)
    visible_ids = set(form.visible)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = lead_convert(
                lead=lead,
                by=request.user,
                customer=form.chosen_customer(),
                opportunity_name=form.cleaned_data["opportunity_name"],
                amount=form.cleaned_data["amount"],
                pipeline=form.cleaned_data["pipeline"],
                allow_duplicate=form.allows_duplicate(),
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Lead converted: opportunity %(name)s opened.") % {"name": opportunity.name})
            return redirect(opportunity)
    context = {
        "lead": lead,
        "form": form,
        # Only the matches the user may open are shown; the others are merely mentioned.
        "candidates": [candidate for candidate in candidates if candidate.customer.pk in visible_ids],
        "visible_ids": visible_ids,
        "hidden_matches": any(candidate.customer.pk not in visible_ids for candidate in candidates),
    }
    return render(request, "sales/leads/convert.html", context, status=400 if form.errors else 200)


@require_GET
@area_required("sales")
def lead_export(request):
    """The rows the list shows for this query string, as an .xlsx file."""
    lead_filter = _filtered(request)
    queryset = lead_filter.qs if lead_filter.is_bound else lead_filter.queryset
    if queryset.order_by()[: EXPORT_MAX_ROWS + 1].count() > EXPORT_MAX_ROWS:
        messages.error(
            request, _("More than %(max)s leads match: narrow the filters to export.") % {"max": EXPORT_MAX_ROWS}
        )
        return redirect(f"{reverse('sales:lead_list')}?{request.GET.urlencode()}")
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115  (FileResponse closes it)
    lead_excel.leads_export_write(leads=queryset.iterator(chunk_size=2000), target=target)
    target.seek(0)
    filename = f"leads-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(target, as_attachment=True, filename=filename, content_type=lead_excel.XLSX_CONTENT_TYPE)


@area_required("sales")
def lead_import_view(request):
    """Upload, validate every row, and create all the leads or none (errors by row number)."""
    if not _can_create(request.user):
        raise PermissionDenied
    form = LeadImportForm(request.POST or None, request.FILES or None)
    bad_rows = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = lead_excel.lead_import_read(handle=form.cleaned_data["file"])
            # Same rule as a lead entered by hand: a rep's imported leads are their own.
            owner = None if can_reassign_leads(user=request.user) else request.user
            leads = lead_excel.lead_import_rows(rows=rows, created_by=request.user, owner=owner)
        except lead_excel.LeadImportError as error:
            bad_rows = [row for row in error.rows if row.errors]
            form.add_error(None, error.messages)
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            messages.success(request, _("%(count)s leads imported.") % {"count": len(leads)})
            return redirect("sales:lead_list")
    context = {
        "form": form,
        "bad_rows": bad_rows,
        "max_rows": lead_excel.IMPORT_MAX_ROWS,
        "columns": [label for _name, label in lead_excel.IMPORT_COLUMNS],
    }
    return render(request, "sales/leads/import.html", context, status=400 if form.errors else 200)


@require_GET
@area_required("sales")
def lead_import_template(request):
    target = tempfile.SpooledTemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    lead_excel.lead_import_template(target=target)
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename="leads-template.xlsx", content_type=lead_excel.XLSX_CONTENT_TYPE
    )


urlpatterns = [
    path("leads/", lead_list, name="lead_list"),
    path("leads/new/", lead_create_view, name="lead_create"),
    path("leads/export/", lead_export, name="lead_export"),
    path("leads/import/", lead_import_view, name="lead_import"),
    path("leads/import/template/", lead_import_template, name="lead_import_template"),
    path("leads/<int:pk>/", lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", lead_edit, name="lead_edit"),
    path("leads/<int:pk>/contacted/", lead_mark_contacted_view, name="lead_mark_contacted"),
    path("leads/<int:pk>/qualify/", lead_qualify_view, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", lead_disqualify_view, name="lead_disqualify"),
    path("leads/<int:pk>/reopen/", lead_reopen_view, name="lead_reopen"),
    path("leads/<int:pk>/reassign/", lead_reassign_view, name="lead_reassign"),
    path("leads/<int:pk>/assign-auto/", lead_assign_auto_view, name="lead_assign_auto"),
    path("leads/<int:pk>/convert/", lead_convert_view, name="lead_convert"),
]
