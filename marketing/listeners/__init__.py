"""Listeners of the customer events other apps announce (crm_site.events), connected when the
app is ready: automation rules and the loyalty programme react to them."""

from marketing.listeners import automation, loyalty  # noqa: F401
