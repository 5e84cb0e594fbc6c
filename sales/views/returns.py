"""Sales pages: record a return of goods from an order (the order page lists its returns)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from crm_site.access import area_required
from sales.forms.returns import OrderReturnForm
from sales.selectors.returns import order_for_return, returnable_lines
from sales.services.returns import RETURNABLE, order_return_create
from sales.views.documents import form_error


@area_required("sales")
def order_return_create_view(request, pk: int):
    """The form and its post. Only those who may change the order reach it (404 for an order the
    user cannot see, 403 for one they may only look at)."""
    order = order_for_return(user=request.user, pk=pk)
    if order.status not in RETURNABLE:
        messages.error(request, _("Only a confirmed or delivered order can take a return."))
        return redirect(order)
    form = OrderReturnForm(request.POST or None, lines=returnable_lines(order=order))
    if request.method == "POST" and form.is_valid():
        try:
            order_return = order_return_create(
                order=order,
                user=request.user,
                returned_on=form.cleaned_data["returned_on"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                quantities=form.quantities(),
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Return %(number)s recorded.") % {"number": order_return.number})
            return redirect(order_return)
    context = {"order": order, "customer": order.customer, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/orders/order_return_form.html", context, status=status)


urlpatterns = [
    path("orders/<int:pk>/returns/new/", order_return_create_view, name="order_return_create"),
]
