"""Forms of the customer-facing pages: the request/complaint form, the status page's message box.
(The survey answer uses sales' ``SurveyAnswerForm``: the same 1–5 score and comment.)

The request form keeps spam out the way sales' contact form does: a honeypot field and a signed
timestamp (faster than a person, or a page left open more than a day, is refused)."""

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sales.forms.leads import TOKEN_MAX_AGE, TOKEN_MIN_SECONDS, clean_phone_field
from service.models import Ticket, TicketCategory
from service.selectors.public import public_categories
from service.services.public import PUBLIC_ATTACHMENT_EXTENSIONS, PUBLIC_KINDS, PUBLIC_MAX_FILES

TOKEN_SALT = "service.public_form"  # noqa: S105  (a namespace for the signature, not a secret)
MESSAGE_MAX_LENGTH = 5000


def form_token() -> str:
    """A signed timestamp of when the form was drawn."""
    return signing.dumps(timezone.now().timestamp(), salt=TOKEN_SALT)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); the service checks their content."""

    def __init__(self, *args, **kwargs):
        accept = ",".join(f".{extension}" for extension in PUBLIC_ATTACHMENT_EXTENSIONS)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketCategory) -> str:
        return obj.indented_name


class PublicTicketForm(forms.Form):
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
    attachments = MultipleFileField(label=_("Photos or documents (optional)"))
    token = forms.CharField(widget=forms.HiddenInput)
    # The honeypot: hidden from people by CSS, filled in by bots that fill every field.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = public_categories()
        self.fields["attachments"].help_text = gettext("Up to %(count)s files: JPEG, PNG or PDF.") % {
            "count": PUBLIC_MAX_FILES
        }
        self.fields["phone"].widget.attrs.update({"dir": "ltr", "inputmode": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs.update({"dir": "ltr", "autocomplete": "email"})
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @property
    def is_honeypot(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        try:
            issued = float(signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE))
        except signing.SignatureExpired:
            raise ValidationError(_("This page was open too long. Please send the form again."), code="stale") from None
        except (signing.BadSignature, TypeError, ValueError):
            raise ValidationError(_("Please reload the page and send the form again."), code="bad_token") from None
        if timezone.now().timestamp() - issued < TOKEN_MIN_SECONDS:
            raise ValidationError(_("That was very quick. Please check your details and send again."), code="fast")
        return token

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
