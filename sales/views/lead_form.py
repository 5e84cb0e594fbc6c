"""The public contact form at /sales/contact/: anyone may leave their details and become a lead.

No login and no outside service: a honeypot field, a signed timestamp (too fast: a bot; more than
a day old: send again) and a per-IP, per-phone and per-email rate limit in the cache keep spam out.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from crm_site.access import public_page
from sales.forms.leads import PublicLeadForm, form_token
from sales.services.leads import lead_capture_web

RATE_LIMIT = 5  # submissions ...
RATE_WINDOW_SECONDS = 10 * 60  # ... per this many seconds, per client IP, phone number and email address


def client_ip(request) -> str:
    """The visitor's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    outermost trusted proxy saw (a client can prepend anything to X-Forwarded-For, not append)."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hit(key: str) -> int:
    """Count one submission under ``key`` in the current window; return the count."""
    cache_key = f"sales:lead_form:{key}"
    cache.add(cache_key, 0, RATE_WINDOW_SECONDS)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, RATE_WINDOW_SECONDS)
        return 1


def _too_many(request):
    return render(request, "sales/lead_form/too_many.html", {"minutes": RATE_WINDOW_SECONDS // 60}, status=429)


def _initial(request) -> dict:
    return {
        "token": form_token(),
        "utm_source": request.GET.get("utm_source", "")[:100],
        "utm_campaign": request.GET.get("utm_campaign", "")[:100],
    }


@public_page
@never_cache
def lead_form(request):
    if request.method != "POST":
        return render(request, "sales/lead_form/form.html", {"form": PublicLeadForm(initial=_initial(request))})
    if _hit(f"ip:{client_ip(request)}") > RATE_LIMIT:
        return _too_many(request)
    form = PublicLeadForm(request.POST)
    if form.is_honeypot:
        # Thank the bot as if it had worked, so it does not try again; nothing is written.
        return render(request, "sales/lead_form/thanks.html")
    if form.is_valid():
        data = form.cleaned_data
        if data["phone"] and _hit(f"phone:{data['phone']}") > RATE_LIMIT:
            return _too_many(request)
        if data["email"] and _hit(f"email:{data['email']}") > RATE_LIMIT:
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
    if form.has_error("token"):
        # A fresh token, so that sending the form again (after a human pause) works.
        form.data = form.data.copy()
        form.data["token"] = form_token()
    return render(request, "sales/lead_form/form.html", {"form": form}, status=400)


urlpatterns = [path("contact/", lead_form, name="lead_form")]
