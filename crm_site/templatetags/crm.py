"""Template helpers shared by every app: {% load crm %}."""

import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """Show an E.164 number the way people read it: "+989123456789" -> "+98 912 345 6789"."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
