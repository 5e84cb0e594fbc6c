"""Segment pages: the list as a tree, the form with its rule builder and live preview, the
segment page (rule in words, size and its history, members, sub-segments, campaigns), static
list members (add from a search, remove, import from Excel) and the Excel export."""

import json
import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm_site.access import area_required, scope_queryset
from crm_site.htmx import htmx_target
from customers.imports import XLSX_CONTENT_TYPE
from customers.models import Customer
from marketing.filters.segments import SegmentFilter
from marketing.forms.segments import MemberIdsForm, MemberImportForm, MemberSearchForm, PreviewForm, SegmentForm
from marketing.models import Segment
from marketing.selectors import segments as selectors
from marketing.services import segments as services

RESULTS_TARGET = "segment-results"


def _form_error(form, error: ValidationError) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_GET
@area_required("marketing")
def segment_list(request):
    segment_filter = SegmentFilter(request.GET or None, queryset=selectors.segments_annotated(), request=request)
    filtered = segment_filter.qs if segment_filter.is_filtering else None
    page_obj, rows = selectors.segment_list_rows(filtered=filtered, page=request.GET.get("page"))
    context = {"filter": segment_filter, "page_obj": page_obj, "rows": rows, "filtering": filtered is not None}
    template = (
        "marketing/segments/partials/results.html"
        if htmx_target(request) == RESULTS_TARGET
        else "marketing/segments/list.html"
    )
    return render(request, template, context)


def _form_page(request, form, segment=None, status=200):
    rules = form["rules"].value() if form.is_bound else (segment.rules if segment else {})
    if isinstance(rules, str):
        try:
            rules = json.loads(rules) if rules else {}
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            rules = {}
    context = {
        "form": form,
        "segment": segment,
        "catalogue": selectors.builder_catalogue(rules=rules if isinstance(rules, dict) else {}),
    }
    return render(request, "marketing/segments/form.html", context, status=status)


@area_required("marketing")
def segment_create(request):
    initial = {"kind": request.GET.get("kind") or Segment.Kind.RULE}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = SegmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            segment = services.segment_create(
                name=data["name"],
                description=data["description"],
                kind=data["kind"],
                parent=data["parent"],
                rules=data["rules"],
                is_active=data["is_active"],
                owner=request.user,
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            services.segment_count(segment=segment)
            messages.success(request, _("Segment “%(name)s” created.") % {"name": segment.name})
            return redirect(segment)
    return _form_page(request, form, status=400 if request.method == "POST" else 200)


@area_required("marketing")
def segment_edit(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    form = SegmentForm(request.POST or None, segment=segment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.segment_update(
                segment=segment,
                name=data["name"],
                description=data["description"],
                parent=data["parent"],
                rules=data["rules"] if segment.kind == Segment.Kind.RULE else {},
                is_active=data["is_active"],
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            services.segment_count(segment=segment)
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect(segment)
    return _form_page(request, form, segment, status=400 if request.method == "POST" else 200)


@require_POST
@area_required("marketing")
def segment_delete(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    try:
        services.segment_delete(segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(segment)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("marketing:segment_list")


@require_POST
@area_required("marketing")
def segment_preview(request):
    """The builder's live count and sample (an htmx partial)."""
    form = PreviewForm(request.POST)
    segment = None
    if request.POST.get("segment", "").isdigit():
        segment = Segment.objects.filter(pk=int(request.POST["segment"])).first()
    context = {}
    if form.is_valid():
        data = form.cleaned_data
        context = selectors.segment_preview(
            user=request.user,
            rules=data["rules"],
            kind=data["kind"] or Segment.Kind.RULE,
            parent=data["parent"],
            segment=segment,
        )
    else:
        context["errors"] = [message for messages_ in form.errors.values() for message in messages_]
    return render(request, "marketing/segments/partials/preview.html", context, status=200 if form.is_valid() else 400)


@require_GET
@area_required("marketing")
def segment_product_search(request):
    return JsonResponse({"results": selectors.product_search(query=request.GET.get("q", ""))})


@require_GET
@area_required("marketing")
def segment_detail(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    context = selectors.segment_page(user=request.user, segment=segment, page=request.GET.get("page"))
    if segment.kind == Segment.Kind.STATIC:
        search = MemberSearchForm(request.GET)
        query = search.data.get("q", "")
        context.update(
            search=search,
            query=query,
            search_results=selectors.customer_search(user=request.user, query=query),
            import_form=MemberImportForm(),
        )
    return render(request, "marketing/segments/detail.html", context)


@require_POST
@area_required("marketing")
def segment_recount(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    size = services.segment_count(segment=segment)
    messages.success(request, _("“%(name)s” has %(count)s customers.") % {"name": segment.name, "count": size})
    return redirect(segment)


def _visible_ids(request, ids) -> list[int]:
    """The ids among ``ids`` of customers the user may see (others cannot be picked)."""
    visible = scope_queryset(Customer.objects.filter(pk__in=ids), request.user, "customers")
    return list(visible.values_list("pk", flat=True))


@require_POST
@area_required("marketing")
def segment_member_add(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    form = MemberIdsForm(request.POST)
    if form.is_valid():
        try:
            added = services.segment_members_add(
                segment=segment, customer_ids=_visible_ids(request, form.cleaned_data["customer"]), by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(count)s customer(s) added to the list.") % {"count": added})
    else:
        messages.error(request, _("Choose the customers to add."))
    return redirect(segment)


@require_POST
@area_required("marketing")
def segment_member_remove(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    form = MemberIdsForm(request.POST)
    if form.is_valid():
        try:
            removed = services.segment_members_remove(
                segment=segment, customer_ids=_visible_ids(request, form.cleaned_data["customer"]), by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(count)s customer(s) taken off the list.") % {"count": removed})
    else:
        messages.error(request, _("Choose the customers to remove."))
    return redirect(segment)


@require_POST
@area_required("marketing")
def segment_member_import(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    form = MemberImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.segment_members_import(segment=segment, upload=form.cleaned_data["file"], by=request.user)
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            messages.success(request, _("%(count)s customer(s) added from the file.") % {"count": added})
            return redirect(segment)
    context = selectors.segment_page(user=request.user, segment=segment)
    context.update(search=MemberSearchForm(), query="", search_results=[], import_form=form, show_import=True)
    return render(request, "marketing/segments/detail.html", context, status=400)


@require_GET
@area_required("marketing")
def segment_export(request, pk: int):
    segment = selectors.segment_get(pk=pk)
    visible = scope_queryset(selectors.segment_customers(segment), request.user, "customers")
    if visible.order_by()[: selectors.EXPORT_MAX_ROWS + 1].count() > selectors.EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("The export is limited to %(limit)s customers: refine the segment first.")
            % {"limit": selectors.EXPORT_MAX_ROWS},
        )
        return redirect(segment)
    target = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    selectors.segment_export_write(user=request.user, segment=segment, target=target)
    target.seek(0)
    filename = f"segment-{segment.pk}-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


urlpatterns = [
    path("segments/", segment_list, name="segment_list"),
    path("segments/new/", segment_create, name="segment_create"),
    path("segments/preview/", segment_preview, name="segment_preview"),
    path("segments/products/", segment_product_search, name="segment_product_search"),
    path("segments/<int:pk>/", segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", segment_delete, name="segment_delete"),
    path("segments/<int:pk>/count/", segment_recount, name="segment_recount"),
    path("segments/<int:pk>/members/add/", segment_member_add, name="segment_member_add"),
    path("segments/<int:pk>/members/remove/", segment_member_remove, name="segment_member_remove"),
    path("segments/<int:pk>/members/import/", segment_member_import, name="segment_member_import"),
    path("segments/<int:pk>/export/", segment_export, name="segment_export"),
]
