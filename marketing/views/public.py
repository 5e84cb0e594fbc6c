"""The marketing pages open to anonymous visitors, each guarded by its own secret:

- /marketing/u/<token>/ unsubscribes from marketing: the signed token in the campaign message's
  link names the recipient; the page asks to confirm, then suppresses the address;
- /marketing/sms/inbound/ receives the SMS provider's callback for replies: an opt-out keyword
  ("لغو", "11", "STOP"...) suppresses the sender. The provider must call it with the shared
  secret ``?token=<SMS_INBOUND_TOKEN>``; without that setting the endpoint refuses every call.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm_site.access import public_page
from marketing.selectors.campaigns import recipient_for_opt_out
from marketing.services.campaigns import opt_out_recipient_id, recipient_opt_out, sms_inbound_handle


@public_page
@never_cache
def campaign_opt_out(request, token: str):
    recipient_id = opt_out_recipient_id(token)
    recipient = recipient_for_opt_out(pk=recipient_id) if recipient_id else None
    if recipient is None:
        raise Http404
    if request.method == "POST":
        recipient_opt_out(recipient=recipient)
        return render(request, "marketing/public/opted_out.html", {"recipient": recipient})
    if recipient.opted_out_at is not None:
        return render(request, "marketing/public/opted_out.html", {"recipient": recipient})
    return render(request, "marketing/public/opt_out.html", {"recipient": recipient})


@public_page
@csrf_exempt
@require_POST
def campaign_sms_inbound(request):
    expected = getattr(settings, "SMS_INBOUND_TOKEN", "")
    given = request.GET.get("token", "")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        return HttpResponseForbidden("forbidden")
    sender = request.POST.get("from", "")
    message = request.POST.get("message", "")
    if not sender:
        return HttpResponseBadRequest("missing sender")
    try:
        opted_out = sms_inbound_handle(sender=sender, message=message)
    except ValidationError:
        return HttpResponseBadRequest("bad sender")
    return HttpResponse("opted-out" if opted_out else "ok", content_type="text/plain")


urlpatterns = [
    path("u/<str:token>/", campaign_opt_out, name="campaign_opt_out"),
    path("sms/inbound/", campaign_sms_inbound, name="campaign_sms_inbound"),
]
