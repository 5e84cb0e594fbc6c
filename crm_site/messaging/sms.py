"""SMS backends, in the style of Django's email backends.

``SMS_BACKEND`` picks one (see settings): console and locmem for development and tests, and the
HTTP APIs of SMS providers used in Iran. A backend sends one message and returns the provider's
message id, or raises ``SmsError``; retrying is the outbox dispatcher's job, not the backend's.
"""

import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    reference: str  # our own id for the message, passed to providers that de-duplicate on it


class SmsError(Exception):
    """The provider did not take the message. ``retryable`` is False when trying again cannot
    help (bad number, rejected credentials, blocked content)."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class BaseSmsBackend(ABC):
    def __init__(self, *, api_key: str = "", sender: str = "", timeout: float = 10):
        self.api_key = api_key
        self.sender = sender
        self.timeout = timeout

    # How many messages one provider request may carry. A backend whose provider accepts a list
    # in one request raises this and implements ``send_many``; the dispatcher then records a whole
    # request's outcome with one write, as it records one message's otherwise.
    batch_size = 1

    @abstractmethod
    def send(self, sms: Sms) -> str:
        """Send one message; return the provider's id for it or raise SmsError."""

    def send_many(self, messages: list[Sms]) -> list[str | SmsError]:
        """Send up to ``batch_size`` messages in one request: a provider id or the SmsError of
        each, in order."""
        results: list[str | SmsError] = []
        for sms in messages:
            try:
                results.append(self.send(sms))
            except SmsError as error:
                results.append(error)
        return results


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to standard output (development)."""

    _lock = threading.Lock()

    def send(self, sms: Sms) -> str:
        with self._lock:
            sys.stdout.write(f"SMS to {sms.to} [{sms.reference}]\n{sms.body}\n{'-' * 40}\n")
            sys.stdout.flush()
        return f"console-{sms.reference}"


# Messages "sent" by LocmemSmsBackend, for tests to inspect (like django.core.mail.outbox).
sent: list[Sms] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in ``crm_site.messaging.sms.sent`` (tests). Like a provider with a list
    API, it takes a batch in one call, so the dispatcher's batch path is tested and measured."""

    batch_size = 100

    def send(self, sms: Sms) -> str:
        sent.append(sms)
        return f"locmem-{len(sent)}"


# Plumbing shared by the HTTP providers. Error messages end up in OutboxMessage.error and in logs,
# so they never carry the API key: not the request URL (Kavenegar puts the key in the path), not
# the text of a requests exception (which quotes that URL), and not a provider message echoing it.


def _local_number(to: str) -> str:
    """E.164 to the form the Iranian providers document: "+989123456789" -> "09123456789".

    Numbers outside Iran get the international prefix ("+44..." -> "0044..."); whether they are
    delivered depends on the sender line, and the provider rejects them otherwise.
    """
    digits = to[1:] if to.startswith("+") else ""
    if not (digits.isascii() and digits.isdigit()):
        raise SmsError("Recipient is not an E.164 phone number.", retryable=False)
    return "0" + digits[2:] if digits.startswith("98") else "00" + digits


def _retryable_http_status(status: int) -> bool:
    """Server errors, timeouts and throttling may pass; any other 4xx will be refused again."""
    return not 400 <= status < 500 or status in (408, 429)


def _redact(text: object, secret: str) -> str:
    text = str(text)
    return text.replace(secret, "***") if secret else text


def _field(mapping: Any, name: str) -> Any:
    """``mapping[name]`` ignoring case (Ghasedak documents both "isSuccess" and "IsSuccess")."""
    if not isinstance(mapping, Mapping):
        return None
    wanted = name.casefold()
    return next((value for key, value in mapping.items() if str(key).casefold() == wanted), None)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _post_json(provider: str, url: str, *, timeout: float, **kwargs: Any) -> tuple[int, dict]:
    """POST to ``url``; return the HTTP status and the JSON object in the body.

    Raises a retryable ``SmsError`` for timeouts and connection failures, and for bodies that are
    not a JSON object (unless the HTTP status is a client error, which a retry cannot fix).
    """
    failure = ""
    try:
        response = requests.post(url, timeout=timeout, **kwargs)
    except requests.Timeout:
        failure = f"{provider}: no response within {timeout:g}s."
    except requests.RequestException as error:
        failure = f"{provider}: request failed ({type(error).__name__})."
    if failure:
        # Raised outside the except block so the requests exception, whose text includes the URL,
        # is not chained onto ours.
        raise SmsError(failure, retryable=True)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise SmsError(
            f"{provider}: HTTP {response.status_code} without a JSON body.",
            retryable=_retryable_http_status(response.status_code),
        )
    return response.status_code, payload


class KavenegarSmsBackend(BaseSmsBackend):
    """Kavenegar's REST API (https://kavenegar.com/rest.html, method sms/send).

    POST https://api.kavenegar.com/v1/{API-KEY}/sms/send.json with the form fields receptor, sender,
    message and localid. The answer is {"return": {"status": 200, "message": ...}, "entries":
    [{"messageid": ..., ...}]}; on errors the HTTP status is not 200 but the body has the same shape,
    with the reason in return.status. ``localid`` is our reference, on which Kavenegar recognises a
    repeat of a message it already took, so retrying after a lost answer or a crash does not text
    the customer twice.
    """

    url = "https://api.kavenegar.com/v1/{api_key}/sms/send.json"

    # return.status codes that the same request will get again: malformed request (400, 404-406,
    # 413, 414, 419, 422), disabled account or rejected key (401, 403), IP not allowed (407, 416),
    # bad receptor (411) or sender (412), bad date (417), no credit (418: top up, then requeue),
    # template and advanced-service errors (424, 426, 428, 431, 432), account not verified (430).
    # Anything else, notably 402 (operation failed), 409 (server busy) and 451 (too many calls),
    # is retried, at most OUTBOX_MAX_ATTEMPTS times.
    PERMANENT_STATUSES = frozenset(
        {400, 401, 403, 404, 405, 406, 407, 411, 412, 413, 414, 416, 417, 418, 419, 422, 424, 426, 428, 430, 431, 432}
    )

    def send(self, sms: Sms) -> str:
        http_status, payload = _post_json(
            "Kavenegar",
            self.url.format(api_key=quote(self.api_key, safe="")),
            timeout=self.timeout,
            headers={"Accept": "application/json"},
            data={
                "receptor": _local_number(sms.to),
                "sender": self.sender,
                "message": sms.body,
                "localid": sms.reference,
            },
        )
        result = payload.get("return")
        status = _int_or_none(_field(result, "status"))
        if status is None:
            raise SmsError(f"Kavenegar: HTTP {http_status} without a return status.", retryable=True)
        if status != 200:
            message = _redact(_field(result, "message") or "", self.api_key)
            raise SmsError(
                f"Kavenegar refused the message: status {status} {message}".rstrip(),
                retryable=status not in self.PERMANENT_STATUSES,
            )
        entries = payload.get("entries")
        message_id = _field(entries[0], "messageid") if isinstance(entries, list) and entries else None
        if message_id in (None, ""):
            # Accepted without an id: asking again is safe, the localid makes Kavenegar answer
            # with the message it already has.
            raise SmsError("Kavenegar: accepted, but no message id in the answer.", retryable=True)
        return str(message_id)


class GhasedakSmsBackend(BaseSmsBackend):
    """Ghasedak's current REST gateway (https://ghasedak.me/docs, method SendSingleSMS).

    POST https://gateway.ghasedak.me/rest/api/v1/WebService/SendSingleSMS with the key in the
    ``ApiKey`` header and a JSON body {lineNumber, receptor, message, clientReferenceId}; the answer
    is {"isSuccess": ..., "statusCode": ..., "message": ..., "data": {"messageId": ..., ...}}. The
    same docs page used to describe the older form-encoded https://api.ghasedak.me/v2/sms/send/simple
    (header ``apikey``, fields linenumber/receptor/message/checkid); the gateway replaced it, and
    Ghasedak's own SDKs call it too (some through the alias host gw.ghasedak.me).

    clientReferenceId carries our reference so that a message can be looked up by it, but Ghasedak
    does not document refusing a repeat: a retry after a read timeout may send twice.
    """

    url = "https://gateway.ghasedak.me/rest/api/v1/WebService/SendSingleSMS"

    def send(self, sms: Sms) -> str:
        http_status, payload = _post_json(
            "Ghasedak",
            self.url,
            timeout=self.timeout,
            headers={"ApiKey": self.api_key, "Accept": "application/json"},
            json={
                "lineNumber": self.sender,
                "receptor": _local_number(sms.to),
                "message": sms.body,
                "clientReferenceId": sms.reference,
            },
        )
        status = _int_or_none(_field(payload, "statusCode"))
        if _field(payload, "isSuccess") is not True:
            # Ghasedak publishes no table of statusCode values; its examples use HTTP's (200,
            # 401), so they are read as HTTP statuses: a 4xx refusal (key, line, number, content)
            # comes back the same on a retry, a 5xx or throttling may pass.
            code = status or http_status
            message = _redact(_field(payload, "message") or "", self.api_key)
            raise SmsError(
                f"Ghasedak refused the message: status {code} {message}".rstrip(),
                retryable=_retryable_http_status(code),
            )
        message_id = _field(_field(payload, "data"), "messageId")
        # Accepted without an id: the message is on its way, and asking again would send it twice.
        return "" if message_id is None else str(message_id)


def get_sms_backend() -> BaseSmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    return backend_class(api_key=settings.SMS_API_KEY, sender=settings.SMS_SENDER, timeout=settings.SMS_TIMEOUT_SECONDS)
