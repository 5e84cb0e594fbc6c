"""What the quote, order and invoice pages share: the list page, the line editor and the
status buttons. No URLs of its own."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from sales.forms.orders import LineFormSet, line_initial
from sales.selectors.orders import product_choices
from sales.services.documents import lines_preview

LIST_PAGE_SIZE = 25


def list_page(request, *, filter_class, queryset, template: str, results_template: str, target: str, extra=None):
    """A filtered, paginated list; an htmx request for ``target`` gets only the results."""
    document_filter = filter_class(request.GET or None, queryset=queryset, request=request)
    rows = document_filter.qs if document_filter.is_bound else document_filter.queryset
    page = CappedPaginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": document_filter, "page_obj": page, **(extra or {})}
    return render(request, results_template if htmx_target(request) == target else template, context)


def line_formset(request, *, lines=(), initial=None) -> LineFormSet:
    """The line editor, bound on POST. Its product choices are the active products plus those
    already on the document, read once for every row."""
    initial = line_initial(lines) if initial is None else initial
    choices = product_choices(include_ids={row["product"] for row in initial})
    data = request.POST if request.method == "POST" else None
    formset = LineFormSet(data, initial=initial or None, prefix="lines", product_choices=choices)
    if data is None:
        for form, line in zip(formset.forms, lines, strict=False):
            form.priced = line
    return formset


def formset_error(formset: LineFormSet, error: ValidationError) -> None:
    """Show a service's refusal above the line editor."""
    formset.non_form_errors().extend(error.messages)


def preview(formset: LineFormSet):
    """Price the edited lines without saving: the amounts of each row and the totals."""
    try:
        priced, amounts = lines_preview(lines=formset.line_inputs())
    except ValidationError as error:
        formset_error(formset, error)
        return None
    for form, line in zip(formset.line_forms(), priced, strict=True):
        form.priced = line
    return amounts


def form_error(form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form's fields (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def status_action(request, *, document, service: Callable, success: str):
    """Run a status change and come back to the document with its outcome."""
    try:
        service()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect(document)


def print_context() -> dict:
    return {"company_name": getattr(settings, "COMPANY_NAME", "")}


def show_error(form, formset, error: ValidationError) -> None:
    """A refusal about a field goes next to it; one about the lines goes above the editor."""
    if hasattr(error, "error_dict"):
        form_error(form, error)
    else:
        formset_error(formset, error)


def editor_status(request, form, formset) -> int:
    """400 when a posted editor comes back with errors (tests and htmx can tell), else 200."""
    if request.method != "POST":
        return 200
    failed = bool(form.errors) or any(formset.errors) or bool(formset.non_form_errors())
    return 400 if failed else 200
