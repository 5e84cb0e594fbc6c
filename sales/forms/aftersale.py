"""Forms of the after-sale part: the settings page and the customer's survey answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sales.models import SalesSettings
from sales.services.aftersale import (
    COMMENT_MAX_LENGTH,
    SURVEY_PLACEHOLDERS,
    THANK_YOU_PLACEHOLDERS,
    template_errors,
)

SETTINGS_FIELDS = [
    "thank_you_enabled",
    "thank_you_trigger",
    "thank_you_delay_minutes",
    "thank_you_template",
    "survey_enabled",
    "survey_delay_days",
    "survey_template",
    "quiet_hours_start",
    "quiet_hours_end",
]


class SalesSettingsForm(forms.ModelForm):
    class Meta:
        model = SalesSettings
        fields = SETTINGS_FIELDS
        widgets = {
            "thank_you_template": forms.Textarea(attrs={"rows": 3}),
            "survey_template": forms.Textarea(attrs={"rows": 3}),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean_thank_you_template(self) -> str:
        text = self.cleaned_data["thank_you_template"]
        if errors := template_errors(text=text, allowed=THANK_YOU_PLACEHOLDERS):
            raise forms.ValidationError(errors)
        return text

    def clean_survey_template(self) -> str:
        text = self.cleaned_data["survey_template"]
        if errors := template_errors(text=text, allowed=SURVEY_PLACEHOLDERS, required=["survey_link"]):
            raise forms.ValidationError(errors)
        return text


SCORE_CHOICES = [
    (1, _("Very unhappy")),
    (2, _("Unhappy")),
    (3, _("Okay")),
    (4, _("Happy")),
    (5, _("Very happy")),
]


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a score from 1 to 5."),
            "invalid_choice": _("Choose a score from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
