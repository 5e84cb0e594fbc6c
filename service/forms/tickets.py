"""Forms of the staff ticket pages: a new ticket, the reply and note boxes, status changes,
transfers and edits. They check the shape of the input; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm_site.forms import MultipleFileField
from crm_site.models import User
from service.models import Ticket, TicketCategory
from service.selectors.tickets import agent_choices, category_choices
from service.services.tickets import TRANSITIONS

ACCEPT = ".jpg,.jpeg,.png,.webp,.pdf,.txt,.docx,.xlsx"


def attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Attachments"),
        help_text=_("Images (JPEG, PNG, WebP), PDF, text, Word or Excel files."),
        accept=ACCEPT,
    )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketCategory) -> str:
        return obj.indented_name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class TicketForm(forms.Form):
    """A ticket staff open from a call or the customer's page (the customer is chosen before)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Ticket.Kind.choices, initial=Ticket.Kind.REQUEST)
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices, initial=Ticket.Channel.PHONE)
    category = CategoryChoiceField(label=_("Category"), queryset=TicketCategory.objects.none(), required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, coerce=int, initial=Ticket.Priority.NORMAL
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = attachments_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices()


class TicketEditForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Ticket.Kind.choices)
    category = CategoryChoiceField(label=_("Category"), queryset=TicketCategory.objects.none(), required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Ticket.Priority.choices, coerce=int)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, ticket: Ticket, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "kind": ticket.kind,
                "category": ticket.category_id,
                "priority": ticket.priority,
                "subject": ticket.subject,
                "description": ticket.description,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices()


class MessageForm(forms.Form):
    """The reply box and the note box share this shape."""

    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = attachments_field()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Ticket.Status.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


def status_choices(ticket: Ticket) -> list[tuple[str, str]]:
    """The buttons the ticket's current status allows, in workflow order."""
    allowed = TRANSITIONS.get(ticket.status, frozenset())
    return [(value, label) for value, label in Ticket.Status.choices if value in allowed]


class TransferForm(forms.Form):
    to_user = UserChoiceField(label=_("Hand over to"), queryset=User.objects.none(), empty_label=_("Choose an agent"))
    reason = forms.CharField(
        label=_("Why"), max_length=300, widget=forms.TextInput(attrs={"placeholder": _("Say why you hand it over")})
    )

    def __init__(self, *args, user: User, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        agents = agent_choices(user=user)
        if ticket.owner_id:
            agents = agents.exclude(pk=ticket.owner_id)
        self.fields["to_user"].queryset = agents
