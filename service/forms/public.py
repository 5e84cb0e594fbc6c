"""Forms of the customer-facing pages: the request/complaint form, the status page's message box.
(The survey answer uses sales' ``SurveyAnswerForm``: the same 1–5 score and comment.)

The request form keeps spam out with crm_site.public_forms, as sales' contact form does: a
honeypot field and a signed timestamp (faster than a person, or a page left open more than a day,
is refused)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm_site.forms import MultipleFileField, clean_phone_field
from crm_site.public_forms import SpamGuardFormMixin
from service.models import Ticket, TicketCategory
from service.selectors.public import public_categories
from service.services.public import PUBLIC_ATTACHMENT_EXTENSIONS, PUBLIC_KINDS, PUBLIC_MAX_FILES

MESSAGE_MAX_LENGTH = 5000


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketCategory) -> str:
        return obj.indented_name


class PublicTicketForm(SpamGuardFormMixin, forms.Form):
    """A request or complaint; the mixin adds the hidden token and the honeypot."""

    token_salt = "service.public_form"  # noqa: S105  (a namespace for the signature, not a secret)

    kind = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=[(kind, label) for kind, label in Ticket.Kind.choices if kind in PUBLIC_KINDS],
        initial=Ticket.Kind.REQUEST,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Your name"), max_length=200)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    category = CategoryChoiceField(
        label=_("What is it about?"), queryset=TicketCategory.objects.none(), required=False, empty_label=_("Not sure")
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Tell us more"), max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = MultipleFileField(
        label=_("Photos or documents (optional)"),
        accept=",".join(f".{extension}" for extension in PUBLIC_ATTACHMENT_EXTENSIONS),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = public_categories()
        self.fields["attachments"].help_text = gettext("Up to %(count)s files: JPEG, PNG or PDF.") % {
            "count": PUBLIC_MAX_FILES
        }
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


class CustomerMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
