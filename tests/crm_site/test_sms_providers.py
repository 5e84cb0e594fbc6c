"""The Kavenegar and Ghasedak SMS backends against canned HTTP answers (``responses``; no network,
no database)."""

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses

from crm_site.messaging.sms import GhasedakSmsBackend, KavenegarSmsBackend, Sms, SmsError

API_KEY = "SECRET-API-KEY-0123456789"
KAVENEGAR_URL = f"https://api.kavenegar.com/v1/{API_KEY}/sms/send.json"
GHASEDAK_URL = "https://gateway.ghasedak.me/rest/api/v1/WebService/SendSingleSMS"
SMS = Sms(to="+989123456789", body="سلام، سفارش شما ارسال شد.", reference="4217")


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def kavenegar():
    return KavenegarSmsBackend(api_key=API_KEY, sender="10004346", timeout=5)


@pytest.fixture
def ghasedak():
    return GhasedakSmsBackend(api_key=API_KEY, sender="30005006009009", timeout=5)


def kavenegar_answer(status, message="", entries=None):
    return {"return": {"status": status, "message": message}, "entries": entries}


def send_expecting_error(backend, sms=SMS) -> SmsError:
    with pytest.raises(SmsError) as caught:
        backend.send(sms)
    assert API_KEY not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    return caught.value


# Kavenegar


def test_kavenegar_success_returns_message_id_and_posts_form(http, kavenegar):
    http.post(
        KAVENEGAR_URL,
        json=kavenegar_answer(200, "تایید شد", [{"messageid": 8792343, "receptor": "09123456789", "status": 1}]),
    )

    assert kavenegar.send(SMS) == "8792343"

    (call,) = http.calls
    assert call.request.url == KAVENEGAR_URL
    assert call.request.req_kwargs["timeout"] == 5
    assert parse_qs(call.request.body) == {
        "receptor": ["09123456789"],
        "sender": ["10004346"],
        "message": [SMS.body],
        "localid": ["4217"],
    }


def test_kavenegar_sends_foreign_numbers_with_international_prefix(http, kavenegar):
    http.post(KAVENEGAR_URL, json=kavenegar_answer(200, entries=[{"messageid": 1}]))

    kavenegar.send(Sms(to="+447911123456", body="hi", reference="1"))

    assert parse_qs(http.calls[0].request.body)["receptor"] == ["00447911123456"]


@pytest.mark.parametrize(
    ("http_status", "provider_status"),
    [
        (403, 403),  # API key not valid
        (400, 411),  # receptor not valid
        (200, 418),  # not enough credit
    ],
)
def test_kavenegar_permanent_error_is_not_retryable(http, kavenegar, http_status, provider_status):
    http.post(KAVENEGAR_URL, status=http_status, json=kavenegar_answer(provider_status, "رد شد"))

    error = send_expecting_error(kavenegar)

    assert error.retryable is False
    assert str(provider_status) in str(error)


@pytest.mark.parametrize("provider_status", [402, 409, 451])
def test_kavenegar_temporary_refusal_is_retryable(http, kavenegar, provider_status):
    http.post(KAVENEGAR_URL, status=provider_status, json=kavenegar_answer(provider_status))

    assert send_expecting_error(kavenegar).retryable is True


@pytest.mark.parametrize("status", [500, 502, 503])
def test_kavenegar_server_error_is_retryable(http, kavenegar, status):
    http.post(KAVENEGAR_URL, status=status, body="<html>Bad Gateway</html>", content_type="text/html")

    assert send_expecting_error(kavenegar).retryable is True


def test_kavenegar_invalid_json_is_retryable(http, kavenegar):
    http.post(KAVENEGAR_URL, status=200, body="{not json", content_type="application/json")

    assert send_expecting_error(kavenegar).retryable is True


def test_kavenegar_timeout_is_retryable_and_hides_the_url(http, kavenegar):
    http.post(KAVENEGAR_URL, body=requests.ReadTimeout(f"Read timed out. (url: {KAVENEGAR_URL})"))

    error = send_expecting_error(kavenegar)

    assert error.retryable is True


def test_kavenegar_connection_error_is_retryable_and_hides_the_url(http, kavenegar):
    http.post(
        KAVENEGAR_URL,
        body=requests.ConnectionError(f"HTTPSConnectionPool: Max retries exceeded with url: {KAVENEGAR_URL}"),
    )

    error = send_expecting_error(kavenegar)

    assert error.retryable is True


def test_kavenegar_provider_message_echoing_the_key_is_redacted(http, kavenegar):
    http.post(KAVENEGAR_URL, status=403, json=kavenegar_answer(403, f"API-Key {API_KEY} is not valid"))

    error = send_expecting_error(kavenegar)

    assert error.retryable is False
    assert "***" in str(error)


def test_kavenegar_accepted_without_message_id_is_retryable(http, kavenegar):
    http.post(KAVENEGAR_URL, json=kavenegar_answer(200, entries=[]))

    assert send_expecting_error(kavenegar).retryable is True


def test_recipient_not_in_e164_is_refused_without_a_request(http, kavenegar):
    error = send_expecting_error(kavenegar, Sms(to="09123456789", body="hi", reference="1"))

    assert error.retryable is False
    assert len(http.calls) == 0


# Ghasedak


def test_ghasedak_success_returns_message_id_and_posts_json(http, ghasedak):
    http.post(
        GHASEDAK_URL,
        json={
            "isSuccess": True,
            "statusCode": 200,
            "message": "با موفقیت انجام شد",
            "data": {"receptor": "09123456789", "cost": 1200, "messageId": "4248", "clientReferenceId": "4217"},
        },
    )

    assert ghasedak.send(SMS) == "4248"

    (call,) = http.calls
    assert call.request.url == GHASEDAK_URL
    assert call.request.headers["ApiKey"] == API_KEY
    assert call.request.req_kwargs["timeout"] == 5
    assert json.loads(call.request.body) == {
        "lineNumber": "30005006009009",
        "receptor": "09123456789",
        "message": SMS.body,
        "clientReferenceId": "4217",
    }


def test_ghasedak_accepts_pascal_case_answer(http, ghasedak):
    http.post(GHASEDAK_URL, json={"IsSuccess": True, "StatusCode": 200, "Data": {"MessageId": 99}})

    assert ghasedak.send(SMS) == "99"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_ghasedak_permanent_error_is_not_retryable(http, ghasedak, status):
    http.post(GHASEDAK_URL, status=status, json={"isSuccess": False, "statusCode": status, "message": "نامعتبر"})

    error = send_expecting_error(ghasedak)

    assert error.retryable is False
    assert str(status) in str(error)


def test_ghasedak_refusal_in_a_200_answer_uses_its_status_code(http, ghasedak):
    http.post(GHASEDAK_URL, status=200, json={"isSuccess": False, "statusCode": 401, "message": f"bad key {API_KEY}"})

    error = send_expecting_error(ghasedak)

    assert error.retryable is False


@pytest.mark.parametrize("status", [500, 503])
def test_ghasedak_server_error_is_retryable(http, ghasedak, status):
    http.post(GHASEDAK_URL, status=status, body="Service Unavailable", content_type="text/plain")

    assert send_expecting_error(ghasedak).retryable is True


def test_ghasedak_server_error_with_json_is_retryable(http, ghasedak):
    http.post(GHASEDAK_URL, status=500, json={"isSuccess": False, "statusCode": 500, "message": "خطای سرور"})

    assert send_expecting_error(ghasedak).retryable is True


def test_ghasedak_throttling_is_retryable(http, ghasedak):
    http.post(GHASEDAK_URL, status=429, json={"isSuccess": False, "statusCode": 429, "message": "too many"})

    assert send_expecting_error(ghasedak).retryable is True


def test_ghasedak_timeout_is_retryable(http, ghasedak):
    http.post(GHASEDAK_URL, body=requests.ConnectTimeout("Connection to gateway.ghasedak.me timed out."))

    assert send_expecting_error(ghasedak).retryable is True


def test_ghasedak_invalid_json_is_retryable(http, ghasedak):
    http.post(GHASEDAK_URL, status=200, body="<html>maintenance</html>", content_type="text/html")

    assert send_expecting_error(ghasedak).retryable is True
