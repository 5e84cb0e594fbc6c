"""Automation: "when EVENT (and conditions) then ACTIONS" rules and the log of their firings."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm_site.events import Event
from customers.models import Customer


class AutomationRule(models.Model):
    """``event`` is one of ``crm_site.events.Event``; ``event_params`` narrows it (the amount an
    order must exceed, the number of days without a purchase, the segment entered, the score a
    survey must be at or below...). ``conditions`` is a segment rule tree the customer must match
    when the event happens; ``actions`` is a list of ``{"type": ..., ...}`` objects run in order
    (see ``marketing.automation.actions``)."""

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    event = models.CharField(_("when"), max_length=30, choices=Event.choices)
    event_params = models.JSONField(_("event settings"), default=dict, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        indexes = [models.Index(fields=["event", "is_active"], name="automation_rule_event_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:rule_detail", args=[self.pk])


class RuleFiring(models.Model):
    """A rule acting on one occurrence of its event for one customer; the unique key makes each
    occurrence fire once however often the event is announced or the daily job runs."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Conditions not met")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="firings")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="rule_firings")
    # Names the occurrence and the customer it concerns ("order:42", "birthday:17:2026"); the
    # customer may be absent (a lead nobody has converted yet), so it is part of the key's text.
    occurrence_key = models.CharField(_("occurrence"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DONE)
    fired_at = models.DateTimeField(_("fired at"))
    # One entry per action: {"type": ..., "result": "..."} in the order they ran.
    outcome = models.JSONField(_("outcome"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        constraints = [
            models.UniqueConstraint(fields=["rule", "occurrence_key"], name="rule_firing_once"),
        ]
        indexes = [
            models.Index(fields=["rule", "-fired_at"], name="rule_firing_rule_idx"),
            models.Index(fields=["customer", "-fired_at"], name="rule_firing_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.customer_id}:{self.occurrence_key}"
