"""Phone numbers in one form everywhere: E.164 ("+989123456789")."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm_site.text import normalize_digits


class InvalidPhoneNumber(ValidationError):
    """A phone number that cannot be read or does not exist (a form shows it next to the field)."""


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return ``raw`` in E.164 form, or raise ``InvalidPhoneNumber``.

    Accepts national forms ("0912 345 6789"), international forms ("+98 912...", "0098 912..."),
    and Persian or Arabic-Indic digits.
    """
    text = normalize_digits(str(raw or "")).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(_("Enter a valid phone number."), code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(_("Enter a valid phone number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
