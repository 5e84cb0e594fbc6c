"""The spam guard of the public forms (signed timestamp, honeypot, rate limit, client IP) and the
shared multiple-file field, tested on their own; the forms using them have their own tests."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from crm_site.forms import MultipleFileField
from crm_site.public_forms import TOKEN_MAX_AGE, SpamGuardFormMixin, client_ip, rate_limit_hit

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class GuardedForm(SpamGuardFormMixin, forms.Form):
    token_salt = "tests.guarded"
    name = forms.CharField(required=False)


class OtherGuardedForm(SpamGuardFormMixin, forms.Form):
    token_salt = "tests.other"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def sent_after(seconds: float, **data) -> GuardedForm:
    """The form drawn at START and sent back ``seconds`` later (validated then)."""
    with time_machine.travel(START, tick=False) as traveller:
        token = GuardedForm.new_token()
        traveller.shift(timedelta(seconds=seconds))
        form = GuardedForm({"token": token, **data})
        form.is_valid()
    return form


def test_a_token_sent_after_a_human_pause_is_accepted():
    form = sent_after(20, name="Sara")
    assert form.is_valid(), form.errors
    assert not form.is_honeypot


def test_a_token_sent_too_fast_is_refused():
    form = sent_after(1)
    assert form.has_error("token", code="fast")
    assert "very quick" in form.errors["token"][0]


def test_a_token_older_than_a_day_is_refused_as_stale():
    assert not sent_after(TOKEN_MAX_AGE - 1).has_error("token")
    form = sent_after(TOKEN_MAX_AGE + 1)
    assert form.has_error("token", code="stale")
    assert "open too long" in form.errors["token"][0]


@pytest.mark.parametrize("token", ["forged", "123:forged", ""])
def test_a_forged_or_missing_token_is_refused(token):
    form = GuardedForm({"token": token})
    assert not form.is_valid()
    assert "token" in form.errors


def test_a_token_signed_for_another_form_is_refused():
    # The per-form salt: a token drawn on one public form is no good on another.
    with time_machine.travel(START, tick=False) as traveller:
        token = OtherGuardedForm.new_token()
        traveller.shift(timedelta(seconds=20))
        form = GuardedForm({"token": token})
        assert form.has_error("token", code="bad_token")
        assert "reload the page" in form.errors["token"][0]


def test_a_refused_token_is_renewed_and_an_accepted_one_kept():
    refused = sent_after(1)
    with time_machine.travel(START + timedelta(seconds=20), tick=False) as traveller:
        refused.renew_token_if_refused()
        fresh = refused.data["token"]
        traveller.shift(timedelta(seconds=20))
        assert GuardedForm({"token": fresh}).is_valid()  # sent again after a human pause
    accepted = sent_after(20)
    token = accepted.data["token"]
    accepted.renew_token_if_refused()
    assert accepted.data["token"] == token


def test_the_honeypot_catches_a_filled_in_website_field():
    assert GuardedForm({"website": " http://spam.example "}).is_honeypot
    assert not GuardedForm({"website": "  "}).is_honeypot
    assert not GuardedForm({}).is_honeypot


def test_the_guard_fields_come_last_and_the_honeypot_is_out_of_the_tab_order():
    form = GuardedForm()
    assert list(form.fields) == ["name", "token", "website"]
    assert form.fields["token"].widget.is_hidden
    assert form.fields["website"].widget.attrs == {"tabindex": "-1", "autocomplete": "off"}


def test_the_rate_limit_counts_within_a_fixed_window():
    def hit(key: str = "ip:10.0.0.1") -> bool:
        return rate_limit_hit("tests:form", key, limit=2, window_seconds=600)

    with time_machine.travel(START, tick=False) as traveller:
        assert [hit(), hit(), hit()] == [False, False, True]
        assert not hit("ip:10.0.0.2")  # each key counts on its own
        assert not rate_limit_hit("tests:other", "ip:10.0.0.1", limit=2, window_seconds=600)  # and each namespace
        traveller.shift(timedelta(seconds=599))
        assert hit()  # the window runs from the first hit: still refused
        traveller.shift(timedelta(seconds=2))
        assert [hit(), hit(), hit()] == [False, False, True]


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (None, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "10.0.0.1"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"}, "1.2.3.4"),
        (2, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "10.0.0.1"),
        (None, {"REMOTE_ADDR": ""}, "unknown"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, meta, expected):
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    request = RequestFactory().post("/", **meta)
    assert client_ip(request) == expected


def test_the_multiple_file_field_returns_a_list():
    field = MultipleFileField(accept=".pdf")
    first, second = (SimpleUploadedFile(name, b"%PDF-1.4") for name in ("a.pdf", "b.pdf"))
    assert field.clean([first, second]) == [first, second]
    assert field.clean(first) == [first]
    assert field.clean(None) == []
    assert field.widget.attrs["accept"] == ".pdf"
    assert "accept" not in MultipleFileField().widget.attrs
