"""Opportunities: the list, create and edit, and the detail page with its products, playbook and
buying roles. The stage changes (board drags, win, lose) are in views/pipeline.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, Scope, area_required, record_scope
from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from customers.selectors import customers_for
from sales.filters.pipeline import OpportunityFilter
from sales.forms.pipeline import (
    BuyingRoleForm,
    LoseForm,
    MethodForm,
    MoveForm,
    OpportunityForm,
    OpportunityLineFormSet,
    PlaybookStepForm,
)
from sales.methods import method_get
from sales.models import BuyingRole, Opportunity
from sales.selectors.pipeline import (
    opportunities_for,
    opportunity_detail_data,
    opportunity_get,
    opportunity_list_queryset,
)
from sales.services.pipeline import (
    buying_role_create,
    buying_role_delete,
    buying_role_update,
    opportunity_create,
    opportunity_lines_set,
    opportunity_playbook_save,
    opportunity_update,
)

LIST_PAGE_SIZE = 25


def _can_create(user) -> bool:
    return record_scope(user, "sales", Action.CHANGE) != Scope.NONE


@area_required("sales")
def opportunity_list(request):
    opportunity_filter = OpportunityFilter(
        request.GET or None, queryset=opportunity_list_queryset(user=request.user), user=request.user
    )
    queryset = opportunity_filter.qs if opportunity_filter.is_bound else opportunity_filter.queryset
    page = CappedPaginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": opportunity_filter, "page_obj": page, "can_create": _can_create(request.user)}
    partial = htmx_target(request) == "opportunity-results"
    template = "sales/opportunities/partials/results.html" if partial else "sales/opportunities/list.html"
    return render(request, template, context)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@area_required("sales")
def opportunity_create_view(request):
    if not _can_create(request.user):
        raise PermissionDenied
    customer = None
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit():
        customer = customers_for(user=request.user).filter(pk=customer_id).first()
    form = OpportunityForm(request.POST or None, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = opportunity_create(created_by=request.user, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Opportunity %(name)s created.") % {"name": opportunity.name})
            return redirect(opportunity)
    return render(request, "sales/opportunities/form.html", {"form": form, "opportunity": None})


@area_required("sales")
def opportunity_edit(request, pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = OpportunityForm(request.POST or None, instance=opportunity, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity_update(opportunity=opportunity, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect(opportunity)
    return render(request, "sales/opportunities/form.html", {"form": form, "opportunity": opportunity})


def _line_formset(opportunity: Opportunity, data=None, lines=()) -> OpportunityLineFormSet:
    initial = [
        {
            "product": view.line.product_id,
            "quantity": view.line.quantity,
            "unit_price": view.line.unit_price,
            "discount_percent": view.line.discount_percent,
        }
        for view in lines
    ]
    # The formset loads the choices and the posted products once for every row.
    return OpportunityLineFormSet(data, initial=initial or None, prefix="lines", opportunity=opportunity)


def render_detail(request, opportunity: Opportunity, *, status: int = 200, **overrides):
    """The detail page; a POST that failed passes its bound form in ``overrides``."""
    data = opportunity_detail_data(opportunity=opportunity)
    playbook = data["playbook"]
    step_forms = []
    if playbook is not None:
        failed = overrides.pop("step_form", None)
        for playbook_step in playbook.steps:
            step = playbook_step.step
            if step.uses_buying_roles:
                form = None
            elif failed is not None and failed.step.key == step.key:
                form = failed
            else:
                form = PlaybookStepForm(initial=playbook_step.answers, step=step, prefix=step.key)
            step_forms.append((playbook_step, form))
    context = {
        "opportunity": opportunity,
        **data,
        "step_forms": step_forms,
        "move_form": MoveForm(opportunity=opportunity),
        "lose_form": LoseForm(),
        "method_form": MethodForm(initial={"method": opportunity.method}),
        "role_form": BuyingRoleForm(),
        "line_formset": overrides.pop("line_formset", None) or _line_formset(opportunity, lines=data["lines"]),
        "can_change": opportunities_for(user=request.user, action=Action.CHANGE).filter(pk=opportunity.pk).exists(),
        **overrides,
    }
    return render(request, "sales/opportunities/detail.html", context, status=status)


@area_required("sales")
def opportunity_detail(request, pk: int):
    return render_detail(request, opportunity_get(user=request.user, pk=pk))


@require_POST
@area_required("sales")
def opportunity_lines(request, pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    formset = _line_formset(opportunity, data=request.POST)
    if formset.is_valid():
        try:
            opportunity_lines_set(opportunity=opportunity, lines=formset.lines())
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(request, _("Products saved."))
            return redirect(opportunity)
    return render_detail(request, opportunity, status=400, line_formset=formset, open_section="products")


@require_POST
@area_required("sales")
def opportunity_method(request, pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = MethodForm(request.POST)
    if form.is_valid():
        opportunity_update(opportunity=opportunity, method=form.cleaned_data["method"])
        messages.success(request, _("Selling method saved."))
        return redirect(opportunity)
    return render_detail(request, opportunity, status=400, method_form=form)


@require_POST
@area_required("sales")
def opportunity_playbook(request, pk: int, step: str):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    method = method_get(opportunity.method)
    method_step = method.step(step) if method else None
    if method_step is None or method_step.uses_buying_roles:
        messages.error(request, _("This step is not part of the opportunity's selling method."))
        return redirect(opportunity)
    form = PlaybookStepForm(request.POST, step=method_step, prefix=step)
    if form.is_valid():
        try:
            opportunity_playbook_save(opportunity=opportunity, step=step, answers=form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(step)s saved.") % {"step": method_step.title})
            return redirect(f"{opportunity.get_absolute_url()}#playbook")
    return render_detail(request, opportunity, status=400, step_form=form)


@require_POST
@area_required("sales")
def buying_role_create_view(request, pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = BuyingRoleForm(request.POST)
    if form.is_valid():
        buying_role_create(opportunity=opportunity, **form.cleaned_data)
        messages.success(request, _("Buying role added."))
        return redirect(f"{opportunity.get_absolute_url()}#playbook")
    return render_detail(request, opportunity, status=400, role_form=form)


@require_POST
@area_required("sales")
def buying_role_edit(request, pk: int, role_pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    role = get_object_or_404(BuyingRole, pk=role_pk, opportunity=opportunity)
    form = BuyingRoleForm(request.POST, instance=role)
    if form.is_valid():
        buying_role_update(buying_role=role, **form.cleaned_data)
        messages.success(request, _("Buying role saved."))
    else:
        messages.error(request, _("The buying role was not saved: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect(f"{opportunity.get_absolute_url()}#playbook")


@require_POST
@area_required("sales")
def buying_role_delete_view(request, pk: int, role_pk: int):
    opportunity = opportunity_get(user=request.user, pk=pk, action=Action.CHANGE)
    buying_role_delete(buying_role=get_object_or_404(BuyingRole, pk=role_pk, opportunity=opportunity))
    messages.success(request, _("Buying role removed."))
    return redirect(f"{opportunity.get_absolute_url()}#playbook")


urlpatterns = [
    path("opportunities/", opportunity_list, name="opportunity_list"),
    path("opportunities/new/", opportunity_create_view, name="opportunity_create"),
    path("opportunities/<int:pk>/", opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/products/", opportunity_lines, name="opportunity_lines"),
    path("opportunities/<int:pk>/method/", opportunity_method, name="opportunity_method"),
    path("opportunities/<int:pk>/playbook/<slug:step>/", opportunity_playbook, name="opportunity_playbook"),
    path("opportunities/<int:pk>/roles/", buying_role_create_view, name="buying_role_create"),
    path("opportunities/<int:pk>/roles/<int:role_pk>/", buying_role_edit, name="buying_role_edit"),
    path("opportunities/<int:pk>/roles/<int:role_pk>/delete/", buying_role_delete_view, name="buying_role_delete"),
]
