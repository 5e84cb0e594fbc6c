"""Automation pages: the rule list, the rule form (event, conditions, actions), the rule's page with
its firings log, the dry run, and switching a rule on or off or deleting it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import area_required
from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from marketing.forms.automation import FiringFilterForm, RuleFilter, RuleForm
from marketing.selectors import automation as selectors
from marketing.services import automation as services

LIST_PAGE_SIZE = 25
FIRINGS_PAGE_SIZE = 25
RESULTS_TARGET = "rule-results"
FIRINGS_TARGET = "rule-firings"


def _form_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@area_required("marketing")
def rule_list(request):
    rule_filter = RuleFilter(request.GET or None, queryset=selectors.rule_list_queryset(), request=request)
    rows = rule_filter.qs if rule_filter.is_bound else rule_filter.queryset
    page = CappedPaginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.rules_with_words(page.object_list)
    context = {"filter": rule_filter, "page_obj": page}
    template = (
        "marketing/automation/partials/results.html"
        if htmx_target(request) == RESULTS_TARGET
        else "marketing/automation/list.html"
    )
    return render(request, template, context)


def _save(request, form, rule=None):
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "description": data["description"],
        "event": data["event"],
        "event_params": data["event_params"],
        "conditions": data["conditions"],
        "actions": data["actions"],
        "is_active": data["is_active"],
    }
    if rule is None:
        return services.rule_create(by=request.user, **fields)
    return services.rule_update(rule=rule, by=request.user, **fields)


def _form_page(request, form, rule=None):
    status = 400 if request.method == "POST" else 200
    return render(request, "marketing/automation/form.html", {"form": form, "rule": rule}, status=status)


@area_required("marketing")
def rule_create(request):
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = _save(request, form)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Rule “%(name)s” created.") % {"name": rule.name})
            return redirect(rule)
    return _form_page(request, form)


@area_required("marketing")
def rule_edit(request, pk: int):
    rule = selectors.rule_get(pk=pk)
    form = RuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = _save(request, form, rule)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
            return redirect(rule)
    return _form_page(request, form, rule)


@area_required("marketing")
def rule_detail(request, pk: int):
    rule = selectors.rule_get(pk=pk)
    status_form = FiringFilterForm(request.GET or None)
    firings = selectors.firings_queryset(rule=rule, user=request.user, status=status_form.status_value())
    page = CappedPaginator(firings, FIRINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "rule": rule,
        "status_form": status_form,
        "page_obj": page,
        "figures": selectors.rule_figures(rule=rule),
        "event_words": selectors.event_words(rule),
        "conditions_words": selectors.conditions_words(rule.conditions),
        "action_words": selectors.actions_words([rule])[rule.pk],
    }
    template = (
        "marketing/automation/partials/firings.html"
        if htmx_target(request) == FIRINGS_TARGET
        else "marketing/automation/detail.html"
    )
    return render(request, template, context)


@area_required("marketing")
def rule_dry_run(request, pk: int):
    rule = selectors.rule_get(pk=pk)
    context = {"rule": rule, "dry_run": selectors.rule_dry_run(rule=rule, user=request.user)}
    template = (
        "marketing/automation/partials/dry_run.html"
        if htmx_target(request) is not None
        else ("marketing/automation/dry_run.html")
    )
    return render(request, template, context)


@require_POST
@area_required("marketing")
def rule_toggle(request, pk: int):
    rule = selectors.rule_get(pk=pk)
    try:
        services.rule_set_active(rule=rule, is_active=not rule.is_active, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(rule)
    if rule.is_active:
        messages.success(request, _("Rule “%(name)s” is active.") % {"name": rule.name})
    else:
        messages.success(request, _("Rule “%(name)s” is switched off.") % {"name": rule.name})
    return redirect(rule)


@require_POST
@area_required("marketing")
def rule_delete(request, pk: int):
    rule = selectors.rule_get(pk=pk)
    services.rule_delete(rule=rule)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("marketing:rule_list")


urlpatterns = [
    path("rules/", rule_list, name="rule_list"),
    path("rules/new/", rule_create, name="rule_create"),
    path("rules/<int:pk>/", rule_detail, name="rule_detail"),
    path("rules/<int:pk>/edit/", rule_edit, name="rule_edit"),
    path("rules/<int:pk>/dry-run/", rule_dry_run, name="rule_dry_run"),
    path("rules/<int:pk>/toggle/", rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/delete/", rule_delete, name="rule_delete"),
]
