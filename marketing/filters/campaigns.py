"""The campaign list's filters (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from crm_site.models import User
from marketing.models import Campaign, CampaignRecipient


class CampaignFilter(StyledFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices, empty_label=_("Any status"))
    channel = django_filters.ChoiceFilter(choices=Campaign.Channel.choices, empty_label=_("Any channel"))
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(campaigns__isnull=False).distinct().order_by("username"),
        empty_label=_("Anyone"),
        label=_("Owner"),
    )

    class Meta:
        model = Campaign
        fields = ["q", "status", "channel", "owner"]


class RecipientFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(choices=CampaignRecipient.Status.choices, empty_label=_("Any status"))

    class Meta:
        model = CampaignRecipient
        fields = ["status"]
