"""Service setup pages (managers and admins): assignment rules, service-level policies, business
calendars and holidays, ticket categories and skills. Canned replies and knowledge base articles
are in ``service/views/knowledge.py``; their URLs are listed here too."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import area_required
from service.forms.setup import (
    AssignmentRuleForm,
    CalendarForm,
    CategoryForm,
    HolidayForm,
    SkillForm,
    SlaPolicyForm,
    WeekForm,
)
from service.models import AssignmentRule, BusinessCalendar, Holiday, Skill, SlaPolicy, TicketCategory
from service.selectors.setup import (
    assignment_rules,
    business_calendar_detail,
    business_calendars,
    service_agents,
    setup_summary,
    skills,
    sla_policies,
    ticket_categories,
)
from service.services import setup as services
from service.views import knowledge


def add_errors(form, error: ValidationError) -> None:
    """Put a service's errors next to the fields they concern (the rest on top of the form)."""
    if hasattr(error, "error_dict"):
        moved = getattr(form, "error_fields", {})
        for field, errors in error.message_dict.items():
            field = moved.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def form_page(request, form, save, *, template: str, context: dict, success: str, redirect_to: str):
    """The POST of a setup form: validate, call the service, report; else draw the form again."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, success % {"name": saved})
            return redirect(redirect_to)
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, **context}, status=status)


@area_required("service_setup")
def setup(request):
    return render(request, "service/setup/index.html", {"summary": setup_summary()})


# --- assignment rules --------------------------------------------------------------------------


@area_required("service_setup")
def rule_list(request):
    return render(request, "service/setup/rules.html", {"rules": assignment_rules()})


@area_required("service_setup")
def rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(AssignmentRule, pk=pk) if pk else AssignmentRule()
    form = AssignmentRuleForm(request.POST or None, instance=rule, agents=service_agents())

    def save(form):
        data = form.cleaned_data
        return services.assignment_rule_save(rule=form.instance, kinds=data["kinds"], users=data["users"])

    context = {"object": rule, "title": _("Assignment rule"), "back": "service:setup_rules"}
    return form_page(
        request, form, save, template="service/setup/rule_form.html", context=context,
        success=_("Assignment rule %(name)s saved."), redirect_to="service:setup_rules",
    )  # fmt: skip


@require_POST
@area_required("service_setup")
def rule_active(request, pk: int):
    rule = services.assignment_rule_set_active(
        rule=get_object_or_404(AssignmentRule, pk=pk), is_active=request.POST.get("is_active") == "1"
    )
    message = _("Rule %(name)s is on.") if rule.is_active else _("Rule %(name)s is off.")
    messages.success(request, message % {"name": rule.name})
    return redirect("service:setup_rules")


# --- service-level policies --------------------------------------------------------------------


@area_required("service_setup")
def policy_list(request):
    return render(request, "service/setup/policies.html", {"policies": sla_policies()})


@area_required("service_setup")
def policy_edit(request, pk: int | None = None):
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk else SlaPolicy()
    form = SlaPolicyForm(request.POST or None, instance=policy)
    context = {"object": policy, "title": _("Service-level policy"), "back": "service:setup_policies"}
    return form_page(
        request, form, lambda form: services.sla_policy_save(policy=form.instance),
        template="service/setup/policy_form.html", context=context,
        success=_("Policy %(name)s saved."), redirect_to="service:setup_policies",
    )  # fmt: skip


@require_POST
@area_required("service_setup")
def policy_active(request, pk: int):
    policy = services.sla_policy_set_active(
        policy=get_object_or_404(SlaPolicy, pk=pk), is_active=request.POST.get("is_active") == "1"
    )
    message = _("Policy %(name)s is on.") if policy.is_active else _("Policy %(name)s is off.")
    messages.success(request, message % {"name": policy.name})
    return redirect("service:setup_policies")


# --- business calendars and holidays -----------------------------------------------------------


@area_required("service_setup")
def calendar_list(request):
    return render(request, "service/setup/calendars.html", {"calendars": business_calendars()})


@area_required("service_setup")
def calendar_edit(request, pk: int | None = None):
    calendar = business_calendar_detail(pk=pk) if pk else BusinessCalendar()
    data = request.POST or None
    form = CalendarForm(data, instance=calendar)
    week = WeekForm(data, calendar=calendar)
    if request.method == "POST" and form.is_valid() and week.is_valid():
        try:
            calendar = services.calendar_save(calendar=form.instance, periods=week.periods())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                (form if field in form.fields else week).add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Calendar %(name)s saved.") % {"name": calendar.name})
            return redirect("service:setup_calendar_edit", calendar.pk)
    context = {
        "form": form,
        "week": week,
        "calendar": calendar,
        "holiday_form": HolidayForm() if calendar.pk else None,
    }
    status = 400 if form.errors or week.errors else 200
    return render(request, "service/setup/calendar_form.html", context, status=status)


@require_POST
@area_required("service_setup")
def holiday_add(request, pk: int):
    calendar = business_calendar_detail(pk=pk)
    holiday_form = HolidayForm(request.POST)
    if holiday_form.is_valid():
        try:
            holiday = services.holiday_add(calendar=calendar, **holiday_form.cleaned_data)
        except ValidationError as error:
            add_errors(holiday_form, error)
        else:
            messages.success(request, _("Holiday %(name)s added.") % {"name": holiday})
            return redirect("service:setup_calendar_edit", calendar.pk)
    context = {
        "form": CalendarForm(instance=calendar),
        "week": WeekForm(calendar=calendar),
        "calendar": calendar,
        "holiday_form": holiday_form,
    }
    return render(request, "service/setup/calendar_form.html", context, status=400)


@require_POST
@area_required("service_setup")
def holiday_delete(request, pk: int):
    holiday = get_object_or_404(Holiday, pk=pk)
    calendar_id = holiday.calendar_id
    services.holiday_delete(holiday=holiday)
    messages.success(request, _("Holiday %(name)s removed.") % {"name": holiday})
    return redirect("service:setup_calendar_edit", calendar_id)


# --- categories and skills ---------------------------------------------------------------------


@area_required("service_setup")
def category_list(request):
    return render(request, "service/setup/categories.html", {"categories": ticket_categories()})


@area_required("service_setup")
def category_edit(request, pk: int | None = None):
    category = get_object_or_404(TicketCategory, pk=pk) if pk else TicketCategory()
    form = CategoryForm(request.POST or None, instance=category)
    context = {"object": category, "title": _("Ticket category"), "back": "service:setup_categories"}
    return form_page(
        request, form, lambda form: services.category_save(category=form.instance),
        template="service/setup/form.html", context=context,
        success=_("Category %(name)s saved."), redirect_to="service:setup_categories",
    )  # fmt: skip


@area_required("service_setup")
def skill_list(request):
    return render(request, "service/setup/skills.html", {"skills": skills()})


@area_required("service_setup")
def skill_edit(request, pk: int | None = None):
    skill = get_object_or_404(Skill, pk=pk) if pk else Skill()
    form = SkillForm(request.POST or None, instance=skill, agents=service_agents())
    context = {"object": skill, "title": _("Skill"), "back": "service:setup_skills"}
    return form_page(
        request, form, lambda form: services.skill_save(skill=form.instance, agents=form.cleaned_data["agents"]),
        template="service/setup/form.html", context=context,
        success=_("Skill %(name)s saved."), redirect_to="service:setup_skills",
    )  # fmt: skip


urlpatterns = [
    path("setup/", setup, name="setup"),
    path("setup/assignment/", rule_list, name="setup_rules"),
    path("setup/assignment/new/", rule_edit, name="setup_rule_create"),
    path("setup/assignment/<int:pk>/", rule_edit, name="setup_rule_edit"),
    path("setup/assignment/<int:pk>/active/", rule_active, name="setup_rule_active"),
    path("setup/sla/", policy_list, name="setup_policies"),
    path("setup/sla/new/", policy_edit, name="setup_policy_create"),
    path("setup/sla/<int:pk>/", policy_edit, name="setup_policy_edit"),
    path("setup/sla/<int:pk>/active/", policy_active, name="setup_policy_active"),
    path("setup/calendars/", calendar_list, name="setup_calendars"),
    path("setup/calendars/new/", calendar_edit, name="setup_calendar_create"),
    path("setup/calendars/<int:pk>/", calendar_edit, name="setup_calendar_edit"),
    path("setup/calendars/<int:pk>/holidays/", holiday_add, name="setup_holiday_add"),
    path("setup/holidays/<int:pk>/delete/", holiday_delete, name="setup_holiday_delete"),
    path("setup/categories/", category_list, name="setup_categories"),
    path("setup/categories/new/", category_edit, name="setup_category_create"),
    path("setup/categories/<int:pk>/", category_edit, name="setup_category_edit"),
    path("setup/skills/", skill_list, name="setup_skills"),
    path("setup/skills/new/", skill_edit, name="setup_skill_create"),
    path("setup/skills/<int:pk>/", skill_edit, name="setup_skill_edit"),
    *knowledge.urlpatterns,
]
