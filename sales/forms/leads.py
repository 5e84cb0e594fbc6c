"""Forms of leads, of the public contact form, and of the assignment and scoring rules.
They validate and normalise input; services write."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from crm_site.forms import clean_phone_field
from crm_site.models import Team, User
from crm_site.public_forms import SpamGuardFormMixin
from customers.geography import Province
from customers.models import Customer, Source
from sales.models import AssignmentRule, DisqualifyReason, Lead, Pipeline, ScoringRule

LEAD_FORM_FIELDS = [
    "name", "company", "job_title", "phone", "email", "province", "city", "source", "campaign",
    "interest", "estimated_value", "notes",
]  # fmt: skip
IMPORT_MAX_BYTES = 5 * 1024 * 1024


class LeadForm(forms.ModelForm):
    """Create and edit. On create a manager may pick the owner (empty: the assignment rules
    decide); a rep's leads are their own."""

    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Owner"),
        empty_label=_("Assign by the rules"),
    )

    class Meta:
        model = Lead
        fields = LEAD_FORM_FIELDS
        widgets = {
            "phone": forms.TextInput(attrs={"dir": "ltr", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"dir": "ltr"}),
            "interest": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, owners: QuerySet[User] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.filter(is_active=True)
        if self.instance.pk or owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data.get("phone"))

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and not self.has_error("phone"):
            raise ValidationError(_("Give a phone number or an email address."))
        return data

    def _post_clean(self):
        # The service validates the lead itself; the form must not change the instance it edits.
        pass

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class DisqualifyForm(forms.Form):
    reason = forms.ModelChoiceField(
        queryset=DisqualifyReason.objects.filter(is_active=True),
        label=_("Reason"),
        empty_label=_("Choose a reason…"),
        error_messages={"required": _("Choose why the lead is disqualified.")},
    )


class ReassignForm(forms.Form):
    to_user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Hand over to"))
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)

    def __init__(self, *args, targets: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = targets


class ConvertForm(forms.Form):
    NEW = "new"

    customer = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect)
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False)
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.filter(is_active=True), required=False, label=_("Pipeline")
    )

    confirm_new = forms.BooleanField(
        label=_("I checked: this is someone else, create a new customer anyway"), required=False
    )

    def __init__(self, *args, lead: Lead, candidates: list, visible: QuerySet[Customer], **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = {customer.pk: customer for customer in visible}
        self.has_matches = bool(candidates)
        choices = [(str(c.customer.pk), c.customer.name) for c in candidates if c.customer.pk in self.visible]
        self.fields["customer"].choices = [*choices, (self.NEW, _("Create a new customer from this lead"))]
        # With matches nothing is pre-chosen as "new": creating a duplicate must be a choice.
        self.fields["customer"].initial = choices[0][0] if choices else (None if candidates else self.NEW)
        self.fields["customer"].error_messages["required"] = _("Choose a customer, or create a new one.")
        self.fields["opportunity_name"].initial = lead.company or lead.name
        self.fields["amount"].initial = lead.estimated_value
        self.fields["pipeline"].empty_label = _("Default pipeline")

    def clean(self):
        data = super().clean()
        if data.get("customer") == self.NEW and self.has_matches and not data.get("confirm_new"):
            self.add_error(
                "confirm_new", _("This lead matches an existing customer: confirm that a new one is needed.")
            )
        return data

    def chosen_customer(self) -> Customer | None:
        value = self.cleaned_data["customer"]
        return None if value == self.NEW else self.visible[int(value)]

    def allows_duplicate(self) -> bool:
        """True only when the user chose "create new" and ticked the confirmation."""
        return self.cleaned_data["customer"] == self.NEW and bool(self.cleaned_data.get("confirm_new"))


class LeadImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload an Excel file saved as .xlsx."))
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB; split it."))
        return upload


# --- the public contact form ------------------------------------------------------------------


class PublicLeadForm(SpamGuardFormMixin, forms.Form):
    """Name, contact and message; the mixin adds the hidden token and the honeypot."""

    token_salt = "sales.lead_form"  # noqa: S105  (a namespace for the signature, not a secret)

    name = forms.CharField(label=_("Your name"), max_length=200)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    interest = forms.CharField(
        label=_("How can we help?"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    utm_source = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"dir": "ltr", "inputmode": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs.update({"dir": "ltr", "autocomplete": "email"})
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data.get("phone"))

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and not self.has_error("phone"):
            self.add_error("phone", _("Leave a phone number or an email address so we can reply."))
        return data

    def source(self) -> Source | None:
        name = (self.cleaned_data.get("utm_source") or "").strip()
        return Source.objects.filter(name__iexact=name).first() if name else None


# --- setup: assignment and scoring rules ---------------------------------------------------------


class AssignmentRuleForm(forms.ModelForm):
    provinces = forms.MultipleChoiceField(
        choices=Province.choices,
        required=False,
        label=_("Provinces"),
        help_text=_("Empty: any province."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = AssignmentRule
        fields = ["name", "priority", "is_active", "provinces", "sources", "method", "team", "users"]
        widgets = {"sources": forms.SelectMultiple(attrs={"size": 6}), "users": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, users: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = users
        self.fields["users"].help_text = _("Empty: the team's sales reps, in turn.")
        self.fields["team"].queryset = Team.objects.all()
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def _post_clean(self):
        pass  # the service validates and saves (with the many-to-many fields)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        rule = self.instance
        for name in ("name", "priority", "is_active", "method"):
            setattr(rule, name, data[name])
        return {
            "rule": rule,
            "provinces": data["provinces"],
            "sources": data["sources"],
            "users": data["users"],
            "team": data["team"],
        }


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = ["criterion", "source", "province", "threshold", "points", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["threshold"].help_text = _("For “value at least” (an amount) and “logged contacts at least”.")
        self.fields["points"].help_text = _("Negative points lower the score.")
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def _post_clean(self):
        # Build the instance without validating it: the service clears unused fields first.
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


class ScoreExampleForm(forms.Form):
    """A made-up lead on the scoring page, to see what the rules give."""

    source = forms.ModelChoiceField(
        queryset=Source.objects.all(), required=False, empty_label=_("No source"), label=_("Source")
    )
    province = forms.ChoiceField(
        choices=[("", _("Any province")), *Province.choices], required=False, label=_("Province")
    )
    estimated_value = forms.DecimalField(label=_("Estimated value"), required=False, min_value=0, max_digits=14)
    contacts = forms.IntegerField(label=_("Logged contacts"), required=False, min_value=0, initial=0)
    has_phone = forms.BooleanField(label=_("Phone"), required=False, initial=True)
    has_email = forms.BooleanField(label=_("Email"), required=False, initial=True)
    has_company = forms.BooleanField(label=_("Company"), required=False)
    has_interest = forms.BooleanField(label=_("Interest"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            else:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = (
                    f"{css} form-control-sm" if css == "form-control" else f"{css} form-select-sm"
                )

    def example(self) -> tuple[Lead, int]:
        data = (
            self.cleaned_data if self.is_bound and self.is_valid() else {k: f.initial for k, f in self.fields.items()}
        )
        lead = Lead(
            name=str(_("Example")),
            source=data.get("source"),
            province=data.get("province") or "",
            estimated_value=data.get("estimated_value"),
            phone="+989120000000" if data.get("has_phone") else "",
            email="example@example.com" if data.get("has_email") else "",
            company="Example" if data.get("has_company") else "",
            interest="Example" if data.get("has_interest") else "",
        )
        return lead, data.get("contacts") or 0
