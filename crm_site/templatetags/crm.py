"""Template helpers shared by every app: {% load crm %}."""

import html
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
from django import template
from django.forms.utils import flatatt
from django.utils.formats import number_format
from django.utils.safestring import mark_safe

from crm_site.access import can_use_area

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


@register.simple_tag
def fast_select(bound_field) -> str:
    """Render a select (or multiple select) with plain string building rather than one template
    per option: a list's filter form has hundreds of options and is drawn on every request."""
    widget = bound_field.field.widget
    value = widget.format_value(bound_field.value())  # a list of strings, or one (NullBooleanSelect)
    selected = set(value) if isinstance(value, list | tuple) else {value}
    field = bound_field.field
    if hasattr(field, "queryset"):
        # A plain query, not ModelChoiceIterator's queryset.iterator(), which on PostgreSQL
        # costs a server-side cursor (three round trips) per field.
        choices = [("", field.empty_label)] if field.empty_label is not None else []
        choices += [(obj.pk, field.label_from_instance(obj)) for obj in field.queryset]
    else:
        choices = getattr(field, "choices", None) or widget.choices
    attrs = {**widget.attrs, "name": bound_field.html_name, "id": bound_field.auto_id}
    if widget.allow_multiple_selected:
        attrs["multiple"] = True
    options = []
    for choice, label in choices:
        key = str(choice)
        mark = " selected" if key in selected else ""
        options.append(f'<option value="{html.escape(key)}"{mark}>{html.escape(str(label))}</option>')
    return mark_safe(f"<select{flatatt(attrs)}>{''.join(options)}</select>")


@register.filter
def startswith(value, prefix: str) -> bool:
    """``{% if url_name|startswith:'lead' %}``: highlight a section for all of its pages."""
    return str(value or "").startswith(prefix)


@register.simple_tag(takes_context=True)
def user_can_use_area(context, area: str) -> bool:
    """``{% user_can_use_area 'sales_setup' as can_setup %}``: show a link only to those it admits."""
    request = context.get("request")
    return bool(request) and can_use_area(request.user, area)


@register.filter
def percent(value, places: int = 1) -> str:
    """A fraction as a percentage: ``0.1234|percent`` -> "12.3%"; "—" when there is none (a
    rate over nothing, e.g. the opt-out rate before any message went out)."""
    if value is None or value == "":
        return "—"
    # From the shortest repr (0.29, not 0.28999...) and rounded half up, as the Excel exports
    # round: number_format cuts extra places off rather than rounding them.
    share = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return f"{number_format(share, decimal_pos=int(places), force_grouping=True)}%"
