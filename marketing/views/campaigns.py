"""Campaign pages: the list (with the approval queue), create and edit, the detail page with its
status actions, figures, chart, audience estimate and per-customer preview, the recipients, and
the Excel exports."""

from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Role, area_required, has_role
from crm_site.pagination import CappedPaginator
from marketing.filters.campaigns import CampaignFilter, RecipientFilter
from marketing.forms.campaigns import CampaignForm, NoteForm, PreviewForm
from marketing.models import Campaign
from marketing.selectors import campaigns as selectors
from marketing.services import campaigns as services
from sales.services.lead_excel import XLSX_CONTENT_TYPE

LIST_PAGE_SIZE = 25
RECIPIENTS_PAGE_SIZE = 50


def _form_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@area_required("marketing")
def campaign_list(request):
    campaign_filter = CampaignFilter(request.GET or None, queryset=selectors.campaign_list_queryset())
    rows = campaign_filter.qs if campaign_filter.is_bound else campaign_filter.queryset
    page = CappedPaginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    figures = selectors.campaigns_list_figures([campaign.pk for campaign in page.object_list])
    for campaign in page.object_list:
        campaign.figures = figures.get(campaign.pk, {})
    is_approver = has_role(request.user, Role.MANAGER, Role.ADMIN)
    context = {
        "filter": campaign_filter,
        "page_obj": page,
        "approval_queue": list(selectors.approval_queue()[:10]) if is_approver else [],
        "is_approver": is_approver,
    }
    return render(request, "marketing/campaigns/list.html", context)


def _save_form(request, form, *, campaign: Campaign | None):
    data = dict(form.cleaned_data)
    try:
        if campaign is None:
            return services.campaign_create(owner=request.user, **data)
        return services.campaign_update(campaign=campaign, by=request.user, **data)
    except ValidationError as error:
        _form_error(form, error)
        return None


@area_required("marketing")
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = _save_form(request, form, campaign=None)
        if campaign is not None:
            messages.success(request, _("Campaign saved as a draft."))
            return redirect("marketing:campaign_detail", campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "marketing/campaigns/form.html", {"form": form, "campaign": None}, status=status)


@area_required("marketing")
def campaign_edit(request, pk: int):
    campaign = selectors.campaign_get(pk=pk)
    if campaign.status != Campaign.Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("marketing:campaign_detail", campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        saved = _save_form(request, form, campaign=campaign)
        if saved is not None:
            messages.success(request, _("Campaign saved."))
            return redirect("marketing:campaign_detail", campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "marketing/campaigns/form.html", {"form": form, "campaign": campaign}, status=status)


@area_required("marketing")
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_get(pk=pk)
    figures = selectors.campaign_figures(campaign)
    context = {
        "campaign": campaign,
        "figures": figures,
        "figure_rows": selectors.campaign_figure_rows(campaign, figures),
        "chart": selectors.campaign_chart(campaign, figures=figures),
        "segments": list(campaign.segments.all()),
        "excluded": list(campaign.excluded_segments.all()),
        "runs": list(campaign.runs.order_by("-sequence")[:10]),
        "can_approve": services.can_approve(request.user, campaign),
        "note_form": NoteForm(),
    }
    if campaign.status in (
        Campaign.Status.DRAFT,
        Campaign.Status.PENDING_APPROVAL,
        Campaign.Status.SCHEDULED,
        Campaign.Status.PAUSED,
    ):
        context["estimate"] = selectors.campaign_audience_estimate(campaign)
        context["preview_customers"] = selectors.campaign_preview_customers(campaign=campaign, user=request.user)
    return render(request, "marketing/campaigns/detail.html", context)


@area_required("marketing")
def campaign_preview(request, pk: int):
    """The message as one customer of the audience would get it (an htmx fragment)."""
    campaign = selectors.campaign_get(pk=pk)
    form = PreviewForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose a customer."))
    customer = selectors.campaign_preview_customer(
        campaign=campaign, user=request.user, pk=form.cleaned_data["customer"]
    )
    if customer is None:
        return HttpResponseBadRequest(_("This customer is not in the campaign's audience."))
    preview = selectors.campaign_preview(campaign=campaign, customer=customer)
    return render(request, "marketing/campaigns/partials/preview.html", {"campaign": campaign, **preview})


def _action(request, pk: int, service, success: str, **extra):
    campaign = selectors.campaign_get(pk=pk)
    try:
        service(campaign=campaign, by=request.user, **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("marketing:campaign_detail", campaign.pk)


@require_POST
@area_required("marketing")
def campaign_submit(request, pk: int):
    return _action(request, pk, services.campaign_submit, _("Sent for approval."))


def _approver_only(request) -> None:
    if not has_role(request.user, Role.MANAGER, Role.ADMIN):
        raise PermissionDenied


@require_POST
@area_required("marketing")
def campaign_approve(request, pk: int):
    _approver_only(request)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _action(request, pk, services.campaign_approve, _("Campaign approved and scheduled."), note=note)


@require_POST
@area_required("marketing")
def campaign_reject(request, pk: int):
    _approver_only(request)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _action(request, pk, services.campaign_reject, _("Campaign sent back to its owner."), note=note)


@require_POST
@area_required("marketing")
def campaign_pause(request, pk: int):
    return _action(request, pk, services.campaign_pause, _("Campaign paused."))


@require_POST
@area_required("marketing")
def campaign_resume(request, pk: int):
    return _action(request, pk, services.campaign_resume, _("Campaign resumed."))


@require_POST
@area_required("marketing")
def campaign_cancel(request, pk: int):
    return _action(request, pk, services.campaign_cancel, _("Campaign cancelled."))


@area_required("marketing")
def campaign_recipients(request, pk: int):
    campaign = selectors.campaign_get(pk=pk)
    queryset = selectors.campaign_recipients(campaign=campaign, user=request.user).order_by("-pk")
    recipient_filter = RecipientFilter(request.GET or None, queryset=queryset)
    rows = recipient_filter.qs if recipient_filter.is_bound else recipient_filter.queryset
    page = CappedPaginator(rows, RECIPIENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"campaign": campaign, "filter": recipient_filter, "page_obj": page}
    return render(request, "marketing/campaigns/recipients.html", context)


def _xlsx(target: BytesIO, name: str) -> FileResponse:
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)


@area_required("marketing")
def campaign_export(request, pk: int):
    """The detail page's figures as .xlsx."""
    campaign = selectors.campaign_get(pk=pk)
    target = BytesIO()
    selectors.campaign_figures_export_write(
        campaign=campaign, figures=selectors.campaign_figures(campaign), target=target
    )
    return _xlsx(target, f"campaign-{campaign.pk}-figures-{timezone.localdate().isoformat()}.xlsx")


@area_required("marketing")
def campaign_recipients_export(request, pk: int):
    """The recipients the user may see (with the list's filter) as .xlsx."""
    campaign = selectors.campaign_get(pk=pk)
    queryset = selectors.campaign_recipients(campaign=campaign, user=request.user)
    recipient_filter = RecipientFilter(request.GET or None, queryset=queryset)
    rows = recipient_filter.qs if recipient_filter.is_bound else recipient_filter.queryset
    target = BytesIO()
    selectors.campaign_recipients_export_write(recipients=rows, target=target)
    return _xlsx(target, f"campaign-{campaign.pk}-recipients-{timezone.localdate().isoformat()}.xlsx")


urlpatterns = [
    path("campaigns/", campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/preview/", campaign_preview, name="campaign_preview"),
    path("campaigns/<int:pk>/submit/", campaign_submit, name="campaign_submit"),
    path("campaigns/<int:pk>/approve/", campaign_approve, name="campaign_approve"),
    path("campaigns/<int:pk>/reject/", campaign_reject, name="campaign_reject"),
    path("campaigns/<int:pk>/pause/", campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/cancel/", campaign_cancel, name="campaign_cancel"),
    path("campaigns/<int:pk>/recipients/", campaign_recipients, name="campaign_recipients"),
    path("campaigns/<int:pk>/export/", campaign_export, name="campaign_export"),
    path("campaigns/<int:pk>/recipients/export/", campaign_recipients_export, name="campaign_recipients_export"),
]
