"""Setup pages for leads (managers and admins): assignment rules and scoring rules."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import area_required
from customers.geography import Province
from sales.forms.leads import AssignmentRuleForm, ScoreExampleForm, ScoringRuleForm
from sales.models import AssignmentRule, ScoringRule
from sales.selectors.leads import assignment_rules, sales_staff, scoring_rules
from sales.services.lead_rules import (
    active_scoring_rules,
    assignment_rule_save,
    assignment_rule_set_active,
    score_breakdown,
    scoring_rule_delete,
    scoring_rule_save,
)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@area_required("sales_setup")
def assignment_rule_list(request):
    labels = dict(Province.choices)
    rules = list(assignment_rules())
    for rule in rules:
        rule.province_labels = [str(labels.get(value, value)) for value in rule.provinces]
    return render(request, "sales/lead_rules/assignment_list.html", {"rules": rules})


@area_required("sales_setup")
def assignment_rule_create(request):
    return _assignment_rule_form(request, AssignmentRule())


@area_required("sales_setup")
def assignment_rule_edit(request, pk: int):
    return _assignment_rule_form(request, get_object_or_404(AssignmentRule, pk=pk))


def _assignment_rule_form(request, rule: AssignmentRule):
    form = AssignmentRuleForm(request.POST or None, instance=rule, users=sales_staff())
    if request.method == "POST" and form.is_valid():
        try:
            rule = assignment_rule_save(**form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Assignment rule %(name)s saved.") % {"name": rule.name})
            return redirect("sales:lead_assignment_rules")
    status = 400 if form.errors else 200
    return render(request, "sales/lead_rules/assignment_form.html", {"form": form, "rule": rule}, status=status)


@require_POST
@area_required("sales_setup")
def assignment_rule_active(request, pk: int):
    rule = get_object_or_404(AssignmentRule, pk=pk)
    rule = assignment_rule_set_active(rule=rule, is_active=request.POST.get("is_active") == "1")
    message = _("Rule %(name)s is on.") if rule.is_active else _("Rule %(name)s is off.")
    messages.success(request, message % {"name": rule.name})
    return redirect("sales:lead_assignment_rules")


@area_required("sales_setup")
def scoring_rule_list(request):
    example_form = ScoreExampleForm(request.GET or None)
    example, contacts = example_form.example()
    lines = score_breakdown(lead=example, rules=active_scoring_rules(), contacts=contacts)
    context = {
        "rules": scoring_rules(),
        "example_form": example_form,
        "example_lines": [line for line in lines if line.met],
        "example_score": sum(line.points for line in lines),
    }
    return render(request, "sales/lead_rules/scoring_list.html", context)


@area_required("sales_setup")
def scoring_rule_create(request):
    return _scoring_rule_form(request, ScoringRule())


@area_required("sales_setup")
def scoring_rule_edit(request, pk: int):
    return _scoring_rule_form(request, get_object_or_404(ScoringRule, pk=pk))


def _scoring_rule_form(request, rule: ScoringRule):
    form = ScoringRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = scoring_rule_save(rule=form.instance)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Scoring rule saved; open leads are being rescored."))
            return redirect("sales:lead_scoring_rules")
    status = 400 if form.errors else 200
    return render(request, "sales/lead_rules/scoring_form.html", {"form": form, "rule": rule}, status=status)


@require_POST
@area_required("sales_setup")
def scoring_rule_delete_view(request, pk: int):
    scoring_rule_delete(rule=get_object_or_404(ScoringRule, pk=pk))
    messages.success(request, _("Scoring rule deleted; open leads are being rescored."))
    return redirect("sales:lead_scoring_rules")


urlpatterns = [
    path("setup/lead-assignment/", assignment_rule_list, name="lead_assignment_rules"),
    path("setup/lead-assignment/new/", assignment_rule_create, name="lead_assignment_rule_create"),
    path("setup/lead-assignment/<int:pk>/", assignment_rule_edit, name="lead_assignment_rule_edit"),
    path("setup/lead-assignment/<int:pk>/active/", assignment_rule_active, name="lead_assignment_rule_active"),
    path("setup/lead-scoring/", scoring_rule_list, name="lead_scoring_rules"),
    path("setup/lead-scoring/new/", scoring_rule_create, name="lead_scoring_rule_create"),
    path("setup/lead-scoring/<int:pk>/", scoring_rule_edit, name="lead_scoring_rule_edit"),
    path("setup/lead-scoring/<int:pk>/delete/", scoring_rule_delete_view, name="lead_scoring_rule_delete"),
]
