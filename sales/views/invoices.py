"""Sales pages: invoices (list, detail with payments and the payment form, print, void)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, area_required
from sales.filters.orders import InvoiceFilter
from sales.forms.orders import PaymentForm
from sales.selectors.orders import invoice_get, invoice_list_queryset, invoices_for, is_overdue
from sales.services.invoices import OPEN, invoice_void, payment_record
from sales.views.documents import form_error, list_page, print_context, status_action


@area_required("sales")
def invoice_list(request):
    return list_page(
        request,
        filter_class=InvoiceFilter,
        queryset=invoice_list_queryset(user=request.user),
        template="sales/invoices/invoice_list.html",
        results_template="sales/invoices/partials/results.html",
        target="invoice-results",
    )


def _render_detail(request, invoice, *, payment_form=None, status: int = 200):
    can_change = invoices_for(user=request.user, action=Action.CHANGE).filter(pk=invoice.pk).exists()
    context = {
        "invoice": invoice,
        "customer": invoice.customer,
        "lines": invoice.order.lines.all(),
        "payments": invoice.payments.all(),
        "overdue": is_overdue(invoice),
        "can_change": can_change,
        "can_pay": can_change and invoice.status in OPEN,
        "payment_form": payment_form or PaymentForm(initial={"amount": invoice.balance}),
    }
    return render(request, "sales/invoices/invoice_detail.html", context, status=status)


@area_required("sales")
def invoice_detail(request, pk: int):
    return _render_detail(request, invoice_get(user=request.user, pk=pk))


@require_POST
@area_required("sales")
def payment_create(request, pk: int):
    invoice = invoice_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment_record(invoice=invoice, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(invoice)
    # The row may have changed under the refused payment's lock: show it as it is now.
    return _render_detail(request, invoice_get(user=request.user, pk=pk), payment_form=form, status=400)


@require_POST
@area_required("sales")
def invoice_void_view(request, pk: int):
    invoice = invoice_get(user=request.user, pk=pk, action=Action.CHANGE)
    return status_action(
        request,
        document=invoice,
        service=lambda: invoice_void(invoice=invoice, by=request.user),
        success=_("Invoice voided."),
    )


@area_required("sales")
def invoice_print(request, pk: int):
    invoice = invoice_get(user=request.user, pk=pk)
    context = {
        "document": invoice,
        "invoice": invoice,
        "lines": invoice.order.lines.all(),
        "payments": invoice.payments.all(),
        **print_context(),
    }
    return render(request, "sales/invoices/invoice_print.html", context)


urlpatterns = [
    path("invoices/", invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/", invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/print/", invoice_print, name="invoice_print"),
    path("invoices/<int:pk>/void/", invoice_void_view, name="invoice_void"),
    path("invoices/<int:pk>/payments/new/", payment_create, name="payment_create"),
]
