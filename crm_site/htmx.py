"""The little of htmx the server needs to know: is this an htmx request, and for which element?"""

from django.http import HttpRequest


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an htmx request will swap, or None for an ordinary request."""
    if request.headers.get("HX-Request") != "true":
        return None
    return request.headers.get("HX-Target") or ""
