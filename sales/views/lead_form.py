"""The public contact form at /sales/contact/: anyone may leave their details and become a lead.

No login and no outside service: a honeypot field, a signed timestamp (too fast: a bot; more than
a day old: send again) and a per-IP, per-phone and per-email rate limit in the cache keep spam out.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from crm_site.access import public_page
from crm_site.public_forms import client_ip, rate_limit_hit
from sales.forms.leads import PublicLeadForm
from sales.services.leads import lead_capture_web

RATE_LIMIT = 5  # submissions ...
RATE_WINDOW_SECONDS = 10 * 60  # ... per this many seconds, per client IP, phone number and email address


def _over_limit(key: str) -> bool:
    """Count one submission under ``key`` ("ip:…", "phone:…", "email:…"); True past the limit."""
    return rate_limit_hit("sales:lead_form", key, limit=RATE_LIMIT, window_seconds=RATE_WINDOW_SECONDS)


def _too_many(request):
    return render(request, "sales/lead_form/too_many.html", {"minutes": RATE_WINDOW_SECONDS // 60}, status=429)


def _initial(request) -> dict:
    return {
        "token": PublicLeadForm.new_token(),
        "utm_source": request.GET.get("utm_source", "")[:100],
        "utm_campaign": request.GET.get("utm_campaign", "")[:100],
    }


@public_page
@never_cache
def lead_form(request):
    if request.method != "POST":
        return render(request, "sales/lead_form/form.html", {"form": PublicLeadForm(initial=_initial(request))})
    if _over_limit(f"ip:{client_ip(request)}"):
        return _too_many(request)
    form = PublicLeadForm(request.POST)
    if form.is_honeypot:
        # Thank the bot as if it had worked, so it does not try again; nothing is written.
        return render(request, "sales/lead_form/thanks.html")
    if form.is_valid():
        data = form.cleaned_data
        if data["phone"] and _over_limit(f"phone:{data['phone']}"):
            return _too_many(request)
        if data["email"] and _over_limit(f"email:{data['email']}"):
            return _too_many(request)
        try:
            lead_capture_web(
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                company=data["company"],
                interest=data["interest"],
                source=form.source(),
                campaign=data["utm_campaign"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return render(request, "sales/lead_form/thanks.html")
    form.renew_token_if_refused()
    return render(request, "sales/lead_form/form.html", {"form": form}, status=400)


urlpatterns = [path("contact/", lead_form, name="lead_form")]
