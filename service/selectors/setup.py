"""Reads of the service setup pages (managers and admins see the whole configuration)."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from crm_site.access import Role
from crm_site.models import User
from service.models import (
    AssignmentRule,
    BusinessCalendar,
    CannedReply,
    KnowledgeArticle,
    Skill,
    SlaPolicy,
    TicketCategory,
)

# Who can be given tickets or skills: staff who work in the service area.
AGENT_ROLES = (Role.SERVICE_AGENT.value, Role.MANAGER.value, Role.ADMIN.value)


def service_agents() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=AGENT_ROLES) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def assignment_rules() -> QuerySet[AssignmentRule]:
    return (
        AssignmentRule.objects.select_related("category", "team", "skill", "last_assigned")
        .prefetch_related(Prefetch("users", queryset=User.objects.order_by("pk")))
        .order_by("order", "pk")
    )


def sla_policies() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.select_related("category", "customer_group", "calendar").order_by("order", "pk")


def business_calendars() -> QuerySet[BusinessCalendar]:
    return (
        BusinessCalendar.objects.annotate(holiday_count=Count("holidays", distinct=True))
        .prefetch_related("periods")
        .order_by("-is_default", "name")
    )


def business_calendar_detail(*, pk: int) -> BusinessCalendar:
    return get_object_or_404(BusinessCalendar.objects.prefetch_related("periods", "holidays"), pk=pk)


def ticket_categories() -> QuerySet[TicketCategory]:
    return TicketCategory.objects.select_related("skill").order_by("path")


def skills() -> QuerySet[Skill]:
    return Skill.objects.prefetch_related(
        Prefetch("agents", queryset=User.objects.order_by("first_name", "last_name", "username"))
    ).order_by("name")


def setup_summary() -> dict[str, int]:
    """The counts on the setup index's cards."""
    return {
        "rules": AssignmentRule.objects.filter(is_active=True).count(),
        "policies": SlaPolicy.objects.filter(is_active=True).count(),
        "calendars": BusinessCalendar.objects.count(),
        "categories": TicketCategory.objects.filter(is_active=True).count(),
        "skills": Skill.objects.count(),
        "replies": CannedReply.objects.filter(is_active=True).count(),
        "articles": KnowledgeArticle.objects.filter(is_published=True).count(),
    }
