"""The public satisfaction survey: the link in the survey SMS opens it, no login needed.

The token in the address is the only key (192 random bits: not guessable), so the page needs no
rate limit of its own; each token answers once.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from crm_site.access import public_page
from sales.forms.aftersale import SurveyAnswerForm
from sales.selectors.aftersale import survey_invitation_get
from sales.services.aftersale import survey_answer


def _context(invitation, **extra) -> dict:
    return {"invitation": invitation, "company_name": getattr(settings, "COMPANY_NAME", ""), **extra}


@public_page
@never_cache
def survey(request, token: str):
    invitation = survey_invitation_get(token=token)
    if invitation.answered_at is not None:
        return render(request, "sales/survey/answered.html", _context(invitation))
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answered = survey_answer(
                invitation=invitation, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            template = "sales/survey/thanks.html" if answered else "sales/survey/answered.html"
            return render(request, template, _context(invitation))
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/survey/form.html", _context(invitation, form=form), status=status)


urlpatterns = [path("survey/<str:token>/", survey, name="survey")]
