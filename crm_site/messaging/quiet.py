"""Quiet hours for marketing messages, as the outbox dispatcher sees them.

A job checks the quiet hours before it queues a message to a customer, but a message can still be
due in the night: queued at 20:59 and retried after a provider error, or left waiting while the
broker was down. So the dispatcher asks again when it claims messages: during quiet hours it leaves
marketing messages queued, and they go out with the first dispatch after the window.

The hours themselves belong to the app that lets a manager set them (the sales settings); it
registers a check here in its ``AppConfig.ready()``, so this module imports no app:

    register_quiet_hours("sales", lambda now: in_quiet_hours(moment=now, ...))
"""

from collections.abc import Callable
from datetime import datetime

_checks: dict[str, Callable[[datetime], bool]] = {}


def register_quiet_hours(key: str, check: Callable[[datetime], bool]) -> None:
    """Add (or replace, by key) a check answering "is ``now`` within quiet hours?"."""
    _checks[key] = check


def unregister_quiet_hours(key: str) -> None:
    _checks.pop(key, None)


def marketing_is_quiet(now: datetime) -> bool:
    return any(check(now) for check in _checks.values())
