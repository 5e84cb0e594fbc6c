"""Forms of activities: schedule or edit one, log it as done (with an optional follow-up), and the
user's reminder channels."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm_site.models import User
from customers.models import Interaction
from sales.models import Activity
from sales.selectors.activities import (
    assignable_users,
    visible_customer,
    visible_customer_by_code,
    visible_lead,
    visible_opportunity,
)

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
RECORD_NAMES = {"customer": _("customer"), "lead": _("lead"), "opportunity": _("opportunity")}


def local_datetime_field(label, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    """A ``datetime-local`` input, read in the current time zone (the value comes back aware)."""
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT),
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices, initial=Activity.Kind.CALL)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    due_at = local_datetime_field(_("Due"))
    remind_at = local_datetime_field(
        _("Remind me at"), required=False, help_text=_("Optional; at or before the due time.")
    )
    assignee = UserChoiceField(label=_("Assigned to"), queryset=User.objects.none())
    customer_code = forms.CharField(
        label=_("Customer code"), max_length=30, required=False, help_text=_("The customer it is about, if any.")
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # Set from the page the activity was started on (?lead= / ?opportunity= / ?customer=).
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lead = forms.IntegerField(widget=forms.HiddenInput, required=False)
    opportunity = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, instance: Activity | None = None, **kwargs):
        self.user = user
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": instance.kind,
                    "subject": instance.subject,
                    "due_at": instance.due_at,
                    "remind_at": instance.remind_at,
                    "assignee": instance.assignee_id,
                    "customer_code": instance.customer.code if instance.customer_id else "",
                    "notes": instance.notes,
                    "lead": instance.lead_id,
                    "opportunity": instance.opportunity_id,
                },
            )
        super().__init__(*args, **kwargs)
        assignees = assignable_users(user=user)
        if instance is not None:
            # Keep the current assignee selectable even if they are outside the editor's scope.
            assignees = assignees | User.objects.filter(pk=instance.assignee_id)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].initial = self.fields["assignee"].initial or self.initial.get("assignee") or user.pk
        self.linked = {"customer": None, "lead": None, "opportunity": None}

    def clean(self):
        data = super().clean()
        finders = {"lead": visible_lead, "opportunity": visible_opportunity, "customer": visible_customer}
        for name, find in finders.items():
            pk = data.get(name)
            if pk:
                self.linked[name] = self._keep_existing(name, pk) or find(user=self.user, pk=pk)
                if self.linked[name] is None:
                    self.add_error(
                        None, _("You cannot see the %(what)s this activity is about.") % {"what": RECORD_NAMES[name]}
                    )
        code = (data.get("customer_code") or "").strip()
        if code:
            customer = self._keep_existing_customer(code) or visible_customer_by_code(user=self.user, code=code)
            if customer is None:
                self.add_error("customer_code", _("No customer of yours has this code."))
            else:
                self.linked["customer"] = customer
        elif self.instance is not None and not data.get("customer"):
            self.linked["customer"] = None
        if not any(self.linked.values()) and not self.errors:
            self.add_error("customer_code", _("Say which customer this is about."))
        return data

    def _keep_existing(self, name: str, pk: int):
        # Editing keeps the records the activity already had, even if the editor cannot open them.
        if self.instance is not None and getattr(self.instance, f"{name}_id") == pk:
            return getattr(self.instance, name)
        return None

    def _keep_existing_customer(self, code: str):
        # The code shown when editing is the activity's own customer (perhaps a teammate's, or
        # the one of its opportunity): keep it even if the editor cannot open that customer.
        customer = self.instance.customer if self.instance is not None and self.instance.customer_id else None
        if customer is not None and customer.code.casefold() == code.casefold():
            return customer
        return None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "due_at": data["due_at"],
            "remind_at": data.get("remind_at"),
            "assignee": data["assignee"],
            "notes": data.get("notes", ""),
            **self.linked,
        }


class ActivityCompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Interaction.Outcome.choices], required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Interaction.Direction.choices], required=False
    )
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=0, max_value=24 * 60, required=False)
    notes = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    follow_up = forms.BooleanField(label=_("Schedule a follow-up"), required=False)
    follow_up_kind = forms.ChoiceField(label=_("Follow-up kind"), choices=Activity.Kind.choices, required=False)
    follow_up_subject = forms.CharField(label=_("Follow-up subject"), max_length=200, required=False)
    follow_up_due_at = local_datetime_field(_("Follow-up due"), required=False)
    follow_up_remind_at = local_datetime_field(_("Remind me at"), required=False)

    def __init__(self, *args, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.fields["follow_up_kind"].initial = activity.kind
        if activity.kind == Activity.Kind.TASK:
            for name in ("outcome", "direction", "duration_minutes"):
                del self.fields[name]
        elif activity.kind == Activity.Kind.MEETING:
            del self.fields["outcome"]

    def clean(self):
        data = super().clean()
        if data.get("follow_up") and not data.get("follow_up_due_at"):
            self.add_error("follow_up_due_at", _("When is the follow-up due?"))
        return data

    def _keep_existing_customer(self, code: str):
        # The code shown when editing is the activity's own customer (perhaps a teammate's, or
        # the one of its opportunity): keep it even if the editor cannot open that customer.
        customer = self.instance.customer if self.instance is not None and self.instance.customer_id else None
        if customer is not None and customer.code.casefold() == code.casefold():
            return customer
        return None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        minutes = data.get("duration_minutes")
        follow_up = None
        if data.get("follow_up"):
            follow_up = {
                "kind": data.get("follow_up_kind") or self.activity.kind,
                "subject": data.get("follow_up_subject", ""),
                "due_at": data["follow_up_due_at"],
                "remind_at": data.get("follow_up_remind_at"),
            }
        return {
            "outcome": data.get("outcome", ""),
            "direction": data.get("direction", ""),
            "duration_seconds": minutes * 60 if minutes is not None else None,
            "notes": data.get("notes", ""),
            "follow_up": follow_up,
        }


class ReminderChannelsForm(forms.Form):
    remind_by_email = forms.BooleanField(label=_("Also by email"), required=False)
    remind_by_sms = forms.BooleanField(label=_("Also by SMS"), required=False)
