"""Forms of campaigns: the plan (create and edit), approval notes, the preview's customer."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from marketing.models import Campaign, Segment
from marketing.services.campaigns import PLACEHOLDERS
from sales.forms.activities import local_datetime_field

# Lazy, so that the help shows in the language of each request, not of the process's start.
PLACEHOLDER_HELP = format_lazy(
    _("Placeholders: {names}. {{opt_out}} becomes a short unsubscribe link."),
    names=", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
)


class CampaignForm(forms.ModelForm):
    scheduled_at = local_datetime_field(
        _("Send at"), required=False, help_text=_("For a set time, and the first sending of a recurring campaign.")
    )
    repeat_until = local_datetime_field(_("Repeat until"), required=False)

    class Meta:
        model = Campaign
        fields = [
            "name",
            "objective",
            "description",
            "channel",
            "segments",
            "excluded_segments",
            "subject",
            "body",
            "schedule",
            "scheduled_at",
            "repeat_every_days",
            "repeat_until",
            "budget",
            "cost_per_message",
            "fixed_cost",
            "holdout_percent",
            "attribution_days",
            "tracking_code",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 5}),
            "segments": forms.SelectMultiple(attrs={"size": 6}),
            "excluded_segments": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Segment.objects.filter(is_active=True).order_by("name")
        self.fields["segments"].queryset = active
        self.fields["excluded_segments"].queryset = active
        self.fields["body"].help_text = PLACEHOLDER_HELP
        self.fields["subject"].help_text = _("For email. The same placeholders may be used.")
        for _name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-control")

    def _post_clean(self):
        # The service validates and saves; the form only parses the input.
        pass


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PreviewForm(forms.Form):
    customer = forms.IntegerField(min_value=1)
