"""Forms of the customers app. They validate and normalise input; services do the writing."""

import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.access import Action, Scope, record_scope, team_ids
from crm_site.models import Channel, Team, User
from customers.models import Customer, CustomerGroup, Interaction
from customers.services import clean_contacts

_SPLIT = str.maketrans({",": "\n", ";": "\n", "،": "\n"})


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").translate(_SPLIT).splitlines() if line.strip()]


class CustomerForm(forms.ModelForm):
    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One per line; the first is the main number. Any format, Persian digits too."),
    )
    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One per line; the first is the main address."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    # Sent by the "Save anyway" button of the duplicate warning; not part of the layout.
    confirm_duplicates = forms.BooleanField(required=False)

    class Meta:
        model = Customer
        fields = [
            "kind", "first_name", "last_name", "name", "organisation", "job_title", "website",
            "status", "source", "acquisition_cost", "owner", "team", "groups", "tags",
            "address", "province", "city", "region", "postal_code",
            "sms_consent", "sms_consent_method", "email_consent", "email_consent_method",
            "birth_date", "gender", "marital_status", "occupation", "education", "income_band",
            "household_size", "interests", "lifestyle", "notes",
        ]  # fmt: skip
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "groups": forms.SelectMultiple(attrs={"size": 5}),
            "tags": forms.SelectMultiple(attrs={"size": 5}),
            "interests": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].required = False
        self.fields["name"].label = _("Organisation name")
        self.fields["organisation"].queryset = Customer.objects.filter(kind=Customer.Kind.ORGANISATION).order_by("name")
        self.fields["groups"].queryset = CustomerGroup.objects.all()
        self.fields["groups"].label_from_instance = lambda group: group.indented_name
        self._limit_owner_and_team()
        if self.instance.pk:
            self.initial.setdefault("phones", "\n".join(p.number for p in self.instance.phones.all()))
            self.initial.setdefault("emails", "\n".join(e.address for e in self.instance.emails.all()))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Who"),
                Row(Column("kind", css_class="col-md-6"), Column("status", css_class="col-md-6")),
                Row(Column("first_name", css_class="col-md-6"), Column("last_name", css_class="col-md-6")),
                Row(Column("name", css_class="col-md-6"), Column("organisation", css_class="col-md-6")),
                Row(Column("job_title", css_class="col-md-6"), Column("website", css_class="col-md-6")),
            ),
            Fieldset(_("Contact"), Row(Column("phones", css_class="col-md-6"), Column("emails", css_class="col-md-6"))),
            Fieldset(
                _("Address"),
                "address",
                Row(Column("province", css_class="col-md-3"), Column("city", css_class="col-md-3"),
                    Column("region", css_class="col-md-3"), Column("postal_code", css_class="col-md-3")),
            ),
            Fieldset(
                _("Relationship"),
                Row(Column("owner", css_class="col-md-3"), Column("team", css_class="col-md-3"),
                    Column("source", css_class="col-md-3"), Column("acquisition_cost", css_class="col-md-3")),
                Row(Column("groups", css_class="col-md-6"), Column("tags", css_class="col-md-6")),
            ),
            Fieldset(
                _("Consent to marketing"),
                Row(Column("sms_consent", css_class="col-md-3"), Column("sms_consent_method", css_class="col-md-3"),
                    Column("email_consent", css_class="col-md-3"),
                    Column("email_consent_method", css_class="col-md-3")),
            ),
            Fieldset(
                _("Demographics and lifestyle"),
                Row(Column("birth_date", css_class="col-md-3"), Column("gender", css_class="col-md-3"),
                    Column("marital_status", css_class="col-md-3"), Column("household_size", css_class="col-md-3")),
                Row(Column("occupation", css_class="col-md-4"), Column("education", css_class="col-md-4"),
                    Column("income_band", css_class="col-md-4")),
                Row(Column("interests", css_class="col-md-6"), Column("lifestyle", css_class="col-md-6")),
            ),
            Fieldset(_("Notes"), "notes"),
        )  # fmt: skip

    def _limit_owner_and_team(self) -> None:
        scope = record_scope(self.user, "customers", Action.CHANGE)
        users = User.objects.filter(is_active=True).order_by("first_name", "username")
        teams = Team.objects.all()
        if scope == Scope.TEAM:
            users = users.filter(team__in=team_ids(self.user)) | User.objects.filter(pk=self.user.pk)
            teams = teams.filter(pk__in=team_ids(self.user))
        elif scope != Scope.ALL:
            users = users.filter(pk=self.user.pk)
            teams = teams.filter(pk=self.user.team_id)
        self.fields["owner"].queryset = users
        self.fields["team"].queryset = teams
        if not self.instance.pk:
            self.initial.setdefault("owner", self.user.pk)
            self.initial.setdefault("team", self.user.team_id)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Customer.Kind.PERSON and not (data.get("first_name") or data.get("last_name") or data.get("name")):
            self.add_error("last_name", _("Enter the person's name."))
        if kind == Customer.Kind.ORGANISATION and not data.get("name"):
            self.add_error("name", _("Enter the organisation's name."))
        if kind == Customer.Kind.ORGANISATION and data.get("organisation"):
            self.add_error("organisation", _("An organisation cannot belong to another organisation."))
        try:
            data["phone_list"], data["email_list"] = clean_contacts(
                phones=_lines(data.get("phones", "")), emails=_lines(data.get("emails", ""))
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        # Without a choice (or without the right to choose) the customer is the user's own.
        if not data.get("owner") or self.fields["owner"].queryset.count() == 1:
            data["owner"] = self.instance.owner if self.instance.pk and self.instance.owner else self.user
        if not data.get("team") and data["owner"] is not None:
            data["team"] = data["owner"].team
        for channel in ("sms", "email"):
            if data.get(f"{channel}_consent") and not data.get(f"{channel}_consent_method"):
                self.add_error(f"{channel}_consent_method", _("Say how the consent was given."))
        return data

    def service_kwargs(self) -> dict:
        """What customer_create / customer_update take."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields if name not in {"groups", "tags", "interests"}}
        return {
            **fields,
            "phones": data["phone_list"],
            "emails": data["email_list"],
            "groups": data["groups"],
            "tags": data["tags"],
            "interests": data["interests"],
        }


class InteractionForm(forms.Form):
    KINDS = [
        (Interaction.Kind.CALL, Interaction.Kind.CALL.label),
        (Interaction.Kind.NOTE, Interaction.Kind.NOTE.label),
        (Interaction.Kind.MEETING, Interaction.Kind.MEETING.label),
        (Interaction.Kind.VISIT, Interaction.Kind.VISIT.label),
    ]
    kind = forms.ChoiceField(label=_("What"), choices=KINDS, initial=Interaction.Kind.CALL)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Interaction.Direction.choices], required=False
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Interaction.Outcome.choices], required=False)
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=24 * 60, required=False)
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("subject") or data.get("body")):
            raise ValidationError(_("Write a subject or some details."))
        when = data.get("occurred_at")
        if when and when > timezone.now() + timezone.timedelta(minutes=5):
            self.add_error("occurred_at", _("An interaction cannot be in the future."))
        if data.get("kind") != Interaction.Kind.CALL:
            data["direction"] = data["outcome"] = ""
        return data


class MessageForm(forms.Form):
    """A one-to-one SMS or email from the customer page."""

    channel = forms.ChoiceField(choices=Channel.choices, widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    token = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex, max_length=64)

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.SMS and len(data.get("body", "")) > 600:
            self.add_error("body", _("An SMS can be at most 600 characters."))
        if data.get("channel") == Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", _("Write a subject."))
        return data


class GroupForm(forms.ModelForm):
    class Meta:
        model = CustomerGroup
        fields = ["name", "parent", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].label_from_instance = lambda group: group.indented_name
