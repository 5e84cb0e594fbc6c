"""Sales pages: orders (list, create, detail with lines, margin, invoices and payments)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_site.access import Action, Scope, area_required, record_scope
from sales.filters.orders import OrderFilter
from sales.forms.orders import CustomerSearchForm, InvoiceOrderForm, OrderForm
from sales.models import Order
from sales.selectors.orders import (
    FAMILY,
    customer_search,
    document_customer,
    order_get,
    order_list_queryset,
    order_margin,
    orders_for,
)
from sales.selectors.returns import order_returns_for
from sales.services.invoices import order_invoice
from sales.services.orders import order_cancel, order_confirm, order_create, order_deliver, order_update_lines
from sales.services.returns import RETURNABLE
from sales.views.documents import editor_status, line_formset, list_page, preview, show_error, status_action


def _can_create(user) -> bool:
    return record_scope(user, FAMILY, Action.CHANGE) != Scope.NONE


@area_required("sales")
def order_list(request):
    return list_page(
        request,
        filter_class=OrderFilter,
        queryset=order_list_queryset(user=request.user),
        template="sales/orders/order_list.html",
        results_template="sales/orders/partials/results.html",
        target="order-results",
        extra={"can_create": _can_create(request.user)},
    )


@area_required("sales")
def order_create_view(request):
    if not _can_create(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    if not source.get("customer"):
        search = CustomerSearchForm(request.GET)
        query = search.data.get("q", "")
        context = {"search": search, "results": customer_search(user=request.user, query=query), "query": query}
        context["title"] = _("New order")
        return render(request, "sales/documents/customer_picker.html", context)
    customer = document_customer(user=request.user, pk=source["customer"])
    form = OrderForm(request.POST or None)
    formset = line_formset(request, initial=[])
    amounts = None
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        if "recalculate" in request.POST:
            amounts = preview(formset)
        else:
            try:
                order = order_create(
                    customer=customer,
                    owner=request.user,
                    by=request.user,
                    lines=formset.line_inputs(),
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                show_error(form, formset, error)
            else:
                messages.success(request, _("Order %(number)s created.") % {"number": order.number})
                return redirect(order)
    context = {"form": form, "formset": formset, "amounts": amounts, "customer": customer}
    context["suggestion_ids"] = formset.chosen_product_ids()
    return render(request, "sales/orders/order_form.html", context, status=editor_status(request, form, formset))


@area_required("sales")
def order_detail(request, pk: int):
    posted = request.method == "POST"
    order = order_get(user=request.user, pk=pk, action=Action.CHANGE if posted else Action.VIEW)
    lines = list(order.lines.all())
    editable = order.status == Order.Status.DRAFT
    if posted and not editable:
        messages.error(request, _("Only a draft order can be edited."))
        return redirect(order)
    form = OrderForm(request.POST or None, initial={"notes": order.notes})
    formset = line_formset(request, lines=lines)
    amounts = None
    if posted and all([form.is_valid(), formset.is_valid()]):
        if "recalculate" in request.POST:
            amounts = preview(formset)
        else:
            try:
                order_update_lines(order=order, lines=formset.line_inputs(), notes=form.cleaned_data["notes"])
            except ValidationError as error:
                show_error(form, formset, error)
            else:
                messages.success(request, _("Order %(number)s saved.") % {"number": order.number})
                return redirect(order)
    invoices = list(order.invoices.all())
    can_change = orders_for(user=request.user, action=Action.CHANGE).filter(pk=order.pk).exists()
    context = {
        "order": order,
        "customer": order.customer,
        "lines": lines,
        "suggestion_ids": formset.chosen_product_ids(),
        "invoices": invoices,
        "open_invoice": next((invoice for invoice in invoices if invoice.status != "void"), None),
        "margin": order_margin(order),
        "form": form,
        "formset": formset,
        "amounts": amounts,
        "editing": posted,
        "editable": editable and can_change,
        "can_change": can_change,
        "invoice_form": InvoiceOrderForm(),
        "returns": order_returns_for(order=order),
        "can_return": can_change and order.status in RETURNABLE,
    }
    return render(request, "sales/orders/order_detail.html", context, status=editor_status(request, form, formset))


def _order_action(service, success: str):
    @require_POST
    @area_required("sales")
    def view(request, pk: int):
        order = order_get(user=request.user, pk=pk, action=Action.CHANGE)
        return status_action(request, document=order, service=lambda: service(order=order), success=success)

    return view


# Lazy: built at import, these are translated in the language of each request.
order_confirm_view = _order_action(order_confirm, gettext_lazy("Order confirmed."))
order_deliver_view = _order_action(order_deliver, gettext_lazy("Order marked as delivered."))
order_cancel_view = _order_action(order_cancel, gettext_lazy("Order cancelled."))


@require_POST
@area_required("sales")
def order_invoice_view(request, pk: int):
    order = order_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = InvoiceOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a payment term between 0 and 365 days."))
        return redirect(order)
    try:
        invoice = order_invoice(order=order, by=request.user, due_in_days=form.cleaned_data["due_in_days"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(order)
    messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
    return redirect(invoice)


urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/new/", order_create_view, name="order_create"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
    path("orders/<int:pk>/confirm/", order_confirm_view, name="order_confirm"),
    path("orders/<int:pk>/deliver/", order_deliver_view, name="order_deliver"),
    path("orders/<int:pk>/cancel/", order_cancel_view, name="order_cancel"),
    path("orders/<int:pk>/invoice/", order_invoice_view, name="order_invoice"),
]
