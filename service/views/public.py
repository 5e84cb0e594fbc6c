"""The customer-facing service pages, open to anonymous visitors:

- /service/new/ files a request or complaint (honeypot, signed timestamp, rate limit per client
  IP, phone and email, as sales' contact form);
- /service/status/<number>/<token>/ shows the ticket to whoever holds its link, and takes a message;
- /service/survey/<token>/ rates the service once.

Each checks its own secret or rate limit: there is no login to lean on.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from crm_site.access import public_page
from crm_site.public_forms import client_ip, rate_limit_hit
from sales.forms.aftersale import SurveyAnswerForm
from service.forms.public import CustomerMessageForm, PublicTicketForm
from service.selectors.public import (
    survey_get_by_token,
    ticket_public_attachments,
    ticket_public_get,
    ticket_public_messages,
)
from service.services import public as intake
from service.services.satisfaction import survey_answer

RATE_LIMIT = 5  # submissions ...
RATE_WINDOW_SECONDS = 10 * 60  # ... per this many seconds, per client IP, phone number and email address
MESSAGE_RATE_LIMIT = 10  # messages on one ticket's status page per window


def _over_limit(key: str, limit: int = RATE_LIMIT) -> bool:
    """Count one submission under ``key`` ("ip:…", "phone:…", "ticket:…"); True past ``limit``."""
    return rate_limit_hit("service:public", key, limit=limit, window_seconds=RATE_WINDOW_SECONDS)


def _context(**extra) -> dict:
    return {"company_name": getattr(settings, "COMPANY_NAME", ""), **extra}


def _too_many(request):
    return render(request, "service/public/too_many.html", _context(minutes=RATE_WINDOW_SECONDS // 60), status=429)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@public_page
@never_cache
def public_ticket_create(request):
    if request.method != "POST":
        form = PublicTicketForm(initial={"token": PublicTicketForm.new_token()})
        return render(request, "service/public/form.html", _context(form=form))
    if _over_limit(f"ip:{client_ip(request)}"):
        return _too_many(request)
    form = PublicTicketForm(request.POST, request.FILES)
    if form.is_honeypot:
        # Thank the bot as if it had worked, so it does not try again; nothing is written.
        return render(request, "service/public/thanks.html", _context(ticket=None))
    if form.is_valid():
        data = form.cleaned_data
        for contact in ("phone", "email"):
            if data[contact] and _over_limit(f"{contact}:{data[contact]}"):
                return _too_many(request)
        try:
            ticket = intake.public_ticket_create(
                kind=data["kind"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                attachments=data["attachments"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return render(
                request,
                "service/public/thanks.html",
                _context(ticket=ticket, status_link=intake.ticket_status_link(ticket=ticket)),
            )
    form.renew_token_if_refused()
    return render(request, "service/public/form.html", _context(form=form), status=400)


@public_page
@never_cache
def ticket_status(request, number: str, token: str):
    ticket = ticket_public_get(number=number, token=token)
    form = CustomerMessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _over_limit(f"ticket:{ticket.pk}", MESSAGE_RATE_LIMIT) or _over_limit(
            f"ip:{client_ip(request)}", RATE_LIMIT * 4
        ):
            return _too_many(request)
        if form.is_valid():
            try:
                intake.ticket_customer_message(ticket=ticket, body=form.cleaned_data["body"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return redirect(f"{request.path}?sent=1#conversation")
        status = 400
    context = _context(
        ticket=ticket,
        messages_public=ticket_public_messages(ticket=ticket),
        attachments=ticket_public_attachments(ticket=ticket),
        form=form,
        sent=request.GET.get("sent") == "1",
        status_text=_status_text(ticket),
    )
    return render(request, "service/public/status.html", context, status=status)


def _status_text(ticket) -> str:
    """The status in plain words for the customer."""
    return {
        "new": _("We have received your request and will pick it up shortly."),
        "open": _("We are working on it."),
        "waiting_customer": _("We are waiting for your answer: please write to us below."),
        "waiting_contractor": _("A technician is handling it; we will let you know."),
        "resolved": _("We believe this is solved. If not, write to us below."),
        "closed": _("This request is closed."),
    }.get(ticket.status, ticket.get_status_display())


@public_page
@never_cache
def csat_survey(request, token: str):
    survey = survey_get_by_token(token=token)
    if survey.answered_at is not None:
        return render(request, "service/public/survey_answered.html", _context(survey=survey))
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answered = survey_answer(
                survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            template = "service/public/survey_thanks.html" if answered else "service/public/survey_answered.html"
            return render(request, template, _context(survey=survey))
    status = 400 if request.method == "POST" else 200
    return render(request, "service/public/survey.html", _context(survey=survey, form=form), status=status)


urlpatterns = [
    path("new/", public_ticket_create, name="public_ticket_create"),
    path("status/<str:number>/<str:token>/", ticket_status, name="ticket_status"),
    path("survey/<str:token>/", csat_survey, name="csat_survey"),
]
