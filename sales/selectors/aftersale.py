"""Reads of the after-sale part: the survey behind a token, and the settings with a preview."""

from django.http import Http404
from django.utils.translation import gettext as _

from sales.models import SalesSettings, SurveyInvitation
from sales.services.aftersale import message_render, message_values, survey_link


def survey_invitation_get(*, token: str) -> SurveyInvitation:
    """The survey a customer's link points to, or 404. The token is the only key: it is
    unguessable (192 random bits), so the public page needs no login."""
    invitation = SurveyInvitation.objects.select_related("order", "customer").filter(token=token).first()
    if invitation is None:
        raise Http404
    return invitation


def sales_settings_get() -> SalesSettings:
    return SalesSettings.load()


def message_preview(*, thank_you_template: str, survey_template: str) -> dict[str, str]:
    """Both messages as a sample customer would receive them."""
    values = message_values(customer_name=_("Sara Ahmadi"), order_number="SO-000123", link=survey_link("sample-token"))
    return {
        "thank_you": message_render(template=thank_you_template, values=values),
        "survey": message_render(template=survey_template, values=values),
    }
