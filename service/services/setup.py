"""Writes of the service setup: assignment rules, service-level policies, business calendars and
their holidays, the ticket category tree and skills.

Everything is checked before anything is written, so a bad form leaves the setup as it was.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm_site.models import User
from crm_site.text import normalize_text
from crm_site.tree import tree_node_save
from service.models import (
    AssignmentRule,
    BusinessCalendar,
    Holiday,
    Skill,
    SlaPolicy,
    Ticket,
    TicketCategory,
    WorkingPeriod,
)

# --- assignment rules --------------------------------------------------------------------------


@transaction.atomic
def assignment_rule_save(
    *, rule: AssignmentRule, kinds: Sequence[str] = (), users: Iterable[User] = ()
) -> AssignmentRule:
    """Create or change a rule; each method must have somebody (or a skill) to give tickets to."""
    users = list(users)
    unknown = sorted(set(kinds) - set(Ticket.Kind.values))
    if unknown:
        raise ValidationError({"kinds": _("Unknown ticket kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}})
    rule.kinds = [kind for kind in Ticket.Kind.values if kind in set(kinds)]
    rule.name = normalize_text(rule.name)
    method = AssignmentRule.Method
    if rule.method == method.ROUND_ROBIN and not users and rule.team_id is None:
        raise ValidationError({"users": _("List the agents who take turns, or choose a team.")})
    if rule.method == method.FIXED and not users:
        raise ValidationError({"users": _("Choose the agent who gets every ticket of this rule.")})
    if rule.method == method.BY_SKILL and rule.skill_id is None and rule.category_id is None:
        raise ValidationError(
            {"skill": _("Choose a skill, or a category (its skill is used), for assignment by skill.")}
        )
    inactive = [str(user) for user in users if not user.is_active]
    if inactive:
        raise ValidationError({"users": _("Not active: %(users)s.") % {"users": ", ".join(inactive)}})
    rule.full_clean()
    rule.save()
    rule.users.set(users)
    return rule


@transaction.atomic
def assignment_rule_set_active(*, rule: AssignmentRule, is_active: bool) -> AssignmentRule:
    rule.is_active = is_active
    rule.save(update_fields=["is_active"])
    return rule


# --- service-level policies --------------------------------------------------------------------


@transaction.atomic
def sla_policy_save(*, policy: SlaPolicy) -> SlaPolicy:
    """Create or change a policy: targets of at least one business minute, the resolution no
    sooner than the first response, and a warning that comes before the deadlines."""
    policy.name = normalize_text(policy.name)
    errors = {}
    for field in ("first_response_minutes", "resolution_minutes"):
        value = getattr(policy, field)
        if value is not None and value < 1:
            errors[field] = _("Give a target of at least one business minute.")
    first, resolution, warn = policy.first_response_minutes, policy.resolution_minutes, policy.warn_before_minutes
    if not errors and first and resolution and resolution < first:
        errors["resolution_minutes"] = _("The resolution target cannot come before the first response target.")
    if not errors and first and warn and warn >= first:
        errors["warn_before_minutes"] = _("The warning must come before the first response deadline.")
    if policy.priority is not None and policy.priority not in Ticket.Priority.values:
        errors["priority"] = _("Choose a priority.")
    if errors:
        raise ValidationError(errors)
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def sla_policy_set_active(*, policy: SlaPolicy, is_active: bool) -> SlaPolicy:
    policy.is_active = is_active
    policy.save(update_fields=["is_active"])
    return policy


# --- business calendars ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One working period as entered in the weekly editor."""

    weekday: int
    start: time
    end: time


def _check_periods(periods: Sequence[Period]) -> list[Period]:
    errors = []
    by_day: dict[int, list[Period]] = {}
    labels = dict(WorkingPeriod.Weekday.choices)
    for period in periods:
        if period.weekday not in labels:
            errors.append(_("Unknown weekday %(day)s.") % {"day": period.weekday})
        elif period.start >= period.end:
            errors.append(
                _("%(day)s: the period %(start)s–%(end)s ends before it starts.")
                % {"day": labels[period.weekday], "start": f"{period.start:%H:%M}", "end": f"{period.end:%H:%M}"}
            )
        else:
            by_day.setdefault(period.weekday, []).append(period)
    for weekday, day_periods in by_day.items():
        day_periods.sort(key=lambda period: period.start)
        for earlier, later in pairwise(day_periods):
            if later.start < earlier.end:
                errors.append(_("%(day)s: the two periods overlap.") % {"day": labels[weekday]})
    if not errors and not by_day:
        errors.append(_("A calendar needs at least one working period in the week."))
    if errors:
        raise ValidationError({"periods": errors})
    return [period for day in sorted(by_day) for period in by_day[day]]


@transaction.atomic
def calendar_save(*, calendar: BusinessCalendar, periods: Sequence[Period]) -> BusinessCalendar:
    """Create or change a calendar and replace its week. Making it the default takes that from the
    calendar that had it. Deadlines already given keep their dates; new ones use the new week."""
    calendar.name = normalize_text(calendar.name)
    checked = _check_periods(periods)
    try:
        ZoneInfo(calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": _("Unknown time zone, e.g. Asia/Tehran.")}) from None
    if calendar.pk and not calendar.is_default and BusinessCalendar.objects.filter(pk=calendar.pk, is_default=True):
        raise ValidationError({"is_default": _("Make another calendar the default instead.")})
    calendar.full_clean(validate_constraints=False)
    if calendar.is_default:
        BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(is_default=False)
    calendar.save()
    calendar.periods.all().delete()
    WorkingPeriod.objects.bulk_create(
        [WorkingPeriod(calendar=calendar, weekday=p.weekday, start=p.start, end=p.end) for p in checked]
    )
    return calendar


@transaction.atomic
def holiday_add(*, calendar: BusinessCalendar, date: date, name: str) -> Holiday:
    holiday = Holiday(calendar=calendar, date=date, name=normalize_text(name))
    holiday.full_clean(validate_constraints=False)
    if calendar.holidays.filter(date=date).exists():
        raise ValidationError({"date": _("%(date)s is already a holiday in this calendar.") % {"date": date}})
    try:
        with transaction.atomic():
            holiday.save()
    except IntegrityError:  # the same date added at the same moment by someone else
        raise ValidationError({"date": _("%(date)s is already a holiday in this calendar.") % {"date": date}}) from None
    return holiday


@transaction.atomic
def holiday_delete(*, holiday: Holiday) -> None:
    holiday.delete()


# --- categories and skills ---------------------------------------------------------------------


def category_save(*, category: TicketCategory) -> TicketCategory:
    """Create or move a category, keeping the materialised paths of it and its sub-categories
    right (rules and policies on a category reach its subtree by path prefix)."""
    return tree_node_save(category, cycle_message=_("A category cannot be moved under itself or its sub-categories."))


@transaction.atomic
def skill_save(*, skill: Skill, agents: Iterable[User]) -> Skill:
    skill.name = normalize_text(skill.name)
    skill.full_clean()
    skill.save()
    skill.agents.set(list(agents))
    return skill
