"""The ticket list's filters (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from crm_site.models import Team, User
from crm_site.text import search_key
from service.models import Ticket, TicketCategory
from service.selectors.tickets import agent_choices, category_choices

ACTIVE = "active"
CLOSED_STATUSES = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def _agents(request=None):
    if request is None:
        return User.objects.none()
    return agent_choices(user=request.user)


def _categories(request=None):
    return category_choices()


class TicketFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[(ACTIVE, _("Any open status")), *Ticket.Status.choices],
        empty_label=_("Any status"),
        label=_("Status"),
    )
    kind = django_filters.ChoiceFilter(choices=Ticket.Kind.choices, empty_label=_("Any kind"), label=_("Kind"))
    priority = django_filters.ChoiceFilter(
        choices=Ticket.Priority.choices, empty_label=_("Any priority"), label=_("Priority")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=_categories, method="filter_category", label=_("Category"), empty_label=_("Any category")
    )
    owner = django_filters.ModelChoiceFilter(queryset=_agents, label=_("Owner"), empty_label=_("Anyone"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Team"), empty_label=_("Any team"))
    breached = django_filters.BooleanFilter(method="filter_breached", label=_("Breached"), widget=forms.CheckboxInput)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"), widget=forms.CheckboxInput)
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Mine"), widget=forms.CheckboxInput)

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(number__iexact=value)
        words = search_key(value).split()
        if words:
            ticket_words, customer_words = Q(), Q()
            for word in words:
                ticket_words &= Q(search_text__contains=word)
                customer_words &= Q(customer__name_key__contains=word)
            condition |= ticket_words | customer_words
        return queryset.filter(condition)

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == ACTIVE:
            return queryset.exclude(status__in=CLOSED_STATUSES)
        return queryset.filter(status=value)

    def filter_category(self, queryset: QuerySet, name: str, value: TicketCategory) -> QuerySet:
        return queryset.filter(category__path__startswith=value.path)

    def filter_breached(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False))

    def filter_overdue(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        now = timezone.now()
        return queryset.exclude(status__in=CLOSED_STATUSES).filter(
            Q(first_response_at__isnull=True, first_response_due_at__lt=now)
            | Q(sla_paused_at__isnull=True, resolution_due_at__lt=now)
        )

    def filter_mine(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value or self.request is None:
            return queryset
        return queryset.filter(owner=self.request.user)
