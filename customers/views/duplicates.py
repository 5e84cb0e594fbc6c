"""The duplicates report (likely pairs among the customers a user may see) and the merge tool."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from crm_site.access import Action, Scope, area_required, get_for_user_or_404, record_scope
from crm_site.models import User
from customers.duplicates import MAX_GROUP_SIZE, DuplicatePair, duplicate_pairs_for
from customers.merge import customer_merge, merge_preview
from customers.models import Customer
from customers.selectors import FAMILY, customers_for

PAGE_SIZE = 25

REASONS = {
    "phone": gettext_lazy("Same phone"),
    "email": gettext_lazy("Same email"),
    "name": gettext_lazy("Same name and city"),
}


def _load_page(user: User, page_pairs: list[DuplicatePair]) -> None:
    """Attach the customers of one page (one query) and whether the user may merge each pair."""
    ids = {pk for pair in page_pairs for pk in (pair.first_id, pair.second_id)}
    customers = Customer.objects.select_related("owner").in_bulk(ids)
    scope = record_scope(user, FAMILY, Action.CHANGE)
    if scope == Scope.ALL or scope == record_scope(user, FAMILY, Action.VIEW):
        changeable = ids  # the same filter chose the pairs: every customer on the page
    elif scope == Scope.NONE:
        changeable = set()
    else:
        changeable = set(customers_for(user=user, action=Action.CHANGE).filter(pk__in=ids).values_list("pk", flat=True))
    for pair in page_pairs:
        pair.first = customers.get(pair.first_id)
        pair.second = customers.get(pair.second_id)
        pair.can_merge = pair.first_id in changeable and pair.second_id in changeable


@area_required("customers")
def duplicate_report(request):
    kind = request.GET.get("reason", "")
    if kind not in REASONS:
        kind = ""
    pairs = duplicate_pairs_for(user=request.user, kind=kind)
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    page_pairs = list(page.object_list)
    _load_page(request.user, page_pairs)
    context = {
        "page_obj": page,
        "pairs": [pair for pair in page_pairs if pair.first and pair.second],
        "reason": kind,
        "reasons": REASONS,
        "max_group_size": MAX_GROUP_SIZE,
    }
    return render(request, "customers/duplicates/report.html", context)


def _changeable_customer(user: User, pk: int) -> Customer:
    """404 when the user cannot see the customer, 403 when they may see but not change it."""
    queryset: QuerySet[Customer] = Customer.objects.select_related("owner", "team", "source", "organisation")
    return get_for_user_or_404(queryset, user, FAMILY, Action.CHANGE, owner_field="owner", team_field="team", pk=pk)


@require_http_methods(["GET", "POST"])
@area_required("customers")
def merge(request, survivor: int, duplicate: int):
    survivor_customer = _changeable_customer(request.user, survivor)
    duplicate_customer = _changeable_customer(request.user, duplicate)
    if survivor_customer.pk == duplicate_customer.pk:
        messages.error(request, _("A customer cannot be merged into itself."))
        return redirect("customers:duplicates")
    if request.method == "POST":
        try:
            customer_merge(survivor=survivor_customer, duplicate=duplicate_customer, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("customers:merge", survivor=survivor, duplicate=duplicate)
        messages.success(
            request,
            _("%(duplicate)s (%(code)s) was merged into %(survivor)s.")
            % {
                "duplicate": duplicate_customer.name,
                "code": duplicate_customer.code,
                "survivor": survivor_customer.name,
            },
        )
        return redirect("customers:detail", pk=survivor_customer.pk)
    preview = merge_preview(survivor=survivor_customer, duplicate=duplicate_customer)
    return render(request, "customers/duplicates/merge.html", {"preview": preview})


urlpatterns = [
    path("", duplicate_report, name="duplicates"),
    path("merge/<int:survivor>/<int:duplicate>/", merge, name="merge"),
]
