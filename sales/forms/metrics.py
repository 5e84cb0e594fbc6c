"""The period filter of the sales home page."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from crm_site.forms import check_custom_period
from sales.selectors.metrics import PERIOD_CHOICES, Period, period_resolve


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        check_custom_period(self, data)
        return data

    def chosen_period(self, *, today: datetime.date) -> Period:
        """The chosen period, or this month when the form is empty or wrong."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            return period_resolve(
                key=data.get("period") or "this_month", today=today, start=data.get("start"), end=data.get("end")
            )
        return period_resolve(key="this_month", today=today)
