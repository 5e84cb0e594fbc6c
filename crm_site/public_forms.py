"""Spam protection shared by the public (anonymous) forms: sales' contact form and service's
request form. There is no login to lean on and no outside service (no CAPTCHA to call), so:

- a honeypot field, hidden from people by CSS, that bots which fill every field fill in;
- a signed timestamp of when the form was drawn: sent back faster than a person can fill the form
  in, it is a bot; older than a day, the page was left open and is sent again with a fresh token;
- a counter per client IP (and per phone number, email address, ...) in Django's cache.

The forms and the rate-limit keys stay the apps' own; only the mechanism lives here.
"""

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_MIN_SECONDS = 3  # faster than a person can fill a form in
TOKEN_MAX_AGE = 24 * 3600  # a page left open longer is sent again with a fresh token


def client_ip(request) -> str:
    """The visitor's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies (read by the
    settings into AXES_IPWARE_PROXY_COUNT) the address the outermost trusted proxy saw (a client
    can prepend anything to X-Forwarded-For, not append)."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_hit(namespace: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one submission under ``key`` and say whether it is one too many: True once more than
    ``limit`` were counted in the window. The window is fixed: it starts at the first hit and the
    count drops to zero when the cache entry expires ``window_seconds`` later. ``namespace`` keeps
    one form's counters apart from another's."""
    cache_key = f"{namespace}:{key}"
    # add + incr rather than get + set: two requests at once both count (incr is atomic in
    # Redis and memcached), and add does not reset a running window.
    cache.add(cache_key, 0, window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, window_seconds)
        count = 1
    return count > limit


class SpamGuardFormMixin:
    """The honeypot and the signed-timestamp token of a public form; mix it into a ``forms.Form``.

    ``token_salt`` namespaces the signature per form, so that a token drawn for one form is no
    good on another. The view draws the form with ``initial={"token": Form.new_token()}``, answers
    a bot (``is_honeypot``) as if it had worked, and calls ``renew_token_if_refused`` before
    showing the form again."""

    token_salt: str  # e.g. "sales.lead_form": a namespace for the signature, not a secret

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Added here rather than declared: Django collects declared fields only from Form
        # classes, not from a mixin; added last, they also keep their place at the end.
        self.fields["token"] = forms.CharField(widget=forms.HiddenInput)
        # The honeypot: hidden from people by CSS, filled in by bots that fill every field.
        self.fields["website"] = forms.CharField(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
        )

    @classmethod
    def new_token(cls) -> str:
        """A signed timestamp of when the form was drawn."""
        return signing.dumps(timezone.now().timestamp(), salt=cls.token_salt)

    @property
    def is_honeypot(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        try:
            issued = float(signing.loads(token, salt=self.token_salt, max_age=TOKEN_MAX_AGE))
        except signing.SignatureExpired:
            raise ValidationError(_("This page was open too long. Please send the form again."), code="stale") from None
        except (signing.BadSignature, TypeError, ValueError):
            raise ValidationError(_("Please reload the page and send the form again."), code="bad_token") from None
        if timezone.now().timestamp() - issued < TOKEN_MIN_SECONDS:
            raise ValidationError(_("That was very quick. Please check your details and send again."), code="fast")
        return token

    def renew_token_if_refused(self) -> None:
        """After a refused token, put a fresh one in the form shown again, so that sending it
        again (after a human pause) works."""
        if self.has_error("token"):
            self.data = self.data.copy()
            self.data["token"] = self.new_token()
