"""Sales pages: quotes (list, create, detail with the line editor, status buttons, print)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_site.access import Action, Scope, area_required, record_scope
from sales.filters.orders import QuoteFilter
from sales.forms.orders import CustomerSearchForm, QuoteEditForm, QuoteForm, line_initial
from sales.selectors.orders import (
    FAMILY,
    customer_search,
    document_customer,
    document_opportunity,
    quote_get,
    quote_list_queryset,
    quotes_for,
)
from sales.services.quotes import (
    EDITABLE,
    quote_accept,
    quote_create,
    quote_reject,
    quote_send,
    quote_to_order,
    quote_update_lines,
)
from sales.views.documents import (
    editor_status,
    line_formset,
    list_page,
    preview,
    print_context,
    show_error,
    status_action,
)


def _can_create(user) -> bool:
    return record_scope(user, FAMILY, Action.CHANGE) != Scope.NONE


@area_required("sales")
def quote_list(request):
    return list_page(
        request,
        filter_class=QuoteFilter,
        queryset=quote_list_queryset(user=request.user),
        template="sales/quotes/quote_list.html",
        results_template="sales/quotes/partials/results.html",
        target="quote-results",
        extra={"can_create": _can_create(request.user)},
    )


@area_required("sales")
def quote_create_view(request):
    if not _can_create(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    opportunity = (
        document_opportunity(user=request.user, pk=source["opportunity"]) if source.get("opportunity") else None
    )
    if opportunity is not None:
        customer = opportunity.customer
    elif source.get("customer"):
        customer = document_customer(user=request.user, pk=source["customer"])
    else:
        search = CustomerSearchForm(request.GET)
        query = search.data.get("q", "")
        context = {"search": search, "results": customer_search(user=request.user, query=query), "query": query}
        context["title"] = _("New quote")
        return render(request, "sales/documents/customer_picker.html", context)

    form = QuoteForm(request.POST or None)
    formset = line_formset(request, initial=line_initial(opportunity.lines.all()) if opportunity else [])
    amounts = None
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        if "recalculate" in request.POST:
            amounts = preview(formset)
        else:
            try:
                quote = quote_create(
                    customer=customer,
                    owner=request.user,
                    lines=formset.line_inputs(),
                    opportunity=opportunity,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                show_error(form, formset, error)
            else:
                messages.success(request, _("Quote %(number)s created.") % {"number": quote.number})
                return redirect(quote)
    context = {
        "form": form,
        "formset": formset,
        "amounts": amounts,
        "customer": customer,
        "opportunity": opportunity,
        "suggestion_ids": formset.chosen_product_ids(),
    }
    return render(request, "sales/quotes/quote_form.html", context, status=editor_status(request, form, formset))


@area_required("sales")
def quote_detail(request, pk: int):
    posted = request.method == "POST"
    quote = quote_get(user=request.user, pk=pk, action=Action.CHANGE if posted else Action.VIEW)
    lines = list(quote.lines.all())
    editable = quote.status in EDITABLE
    if posted and not editable:
        messages.error(request, _("This quote can no longer be edited."))
        return redirect(quote)
    form = QuoteEditForm(request.POST or None, initial={"valid_until": quote.valid_until, "notes": quote.notes})
    formset = line_formset(request, lines=lines)
    amounts = None
    if posted and all([form.is_valid(), formset.is_valid()]):
        if "recalculate" in request.POST:
            amounts = preview(formset)
        else:
            try:
                quote_update_lines(quote=quote, lines=formset.line_inputs(), **form.cleaned_data)
            except ValidationError as error:
                show_error(form, formset, error)
            else:
                messages.success(request, _("Quote %(number)s saved.") % {"number": quote.number})
                return redirect(quote)
    can_change = quotes_for(user=request.user, action=Action.CHANGE).filter(pk=quote.pk).exists()
    context = {
        "quote": quote,
        "customer": quote.customer,
        "lines": lines,
        "suggestion_ids": formset.chosen_product_ids(),
        "form": form,
        "formset": formset,
        "amounts": amounts,
        "editing": posted,
        "editable": editable and can_change,
        "can_change": can_change,
    }
    return render(request, "sales/quotes/quote_detail.html", context, status=editor_status(request, form, formset))


@area_required("sales")
def quote_print(request, pk: int):
    quote = quote_get(user=request.user, pk=pk)
    context = {"document": quote, "quote": quote, "lines": quote.lines.all(), **print_context()}
    return render(request, "sales/quotes/quote_print.html", context)


def _quote_action(service, success: str):
    @require_POST
    @area_required("sales")
    def view(request, pk: int):
        quote = quote_get(user=request.user, pk=pk, action=Action.CHANGE)
        return status_action(request, document=quote, service=lambda: service(quote=quote), success=success)

    return view


# Lazy: built at import, these are translated in the language of each request.
quote_send_view = _quote_action(quote_send, gettext_lazy("Quote marked as sent."))
quote_accept_view = _quote_action(quote_accept, gettext_lazy("Quote accepted."))
quote_reject_view = _quote_action(quote_reject, gettext_lazy("Quote rejected."))


@require_POST
@area_required("sales")
def quote_order(request, pk: int):
    quote = quote_get(user=request.user, pk=pk, action=Action.CHANGE)
    try:
        order = quote_to_order(quote=quote, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(quote)
    messages.success(request, _("Order %(number)s made from the quote.") % {"number": order.number})
    return redirect(order)


urlpatterns = [
    path("quotes/", quote_list, name="quote_list"),
    path("quotes/new/", quote_create_view, name="quote_create"),
    path("quotes/<int:pk>/", quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/print/", quote_print, name="quote_print"),
    path("quotes/<int:pk>/send/", quote_send_view, name="quote_send"),
    path("quotes/<int:pk>/accept/", quote_accept_view, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quote_reject_view, name="quote_reject"),
    path("quotes/<int:pk>/order/", quote_order, name="quote_order"),
]
