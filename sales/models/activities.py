"""Calls, meetings and tasks: what someone must do, by when, and the reminder that makes sure."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Interaction


class Activity(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TASK)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.CASCADE, related_name="activities"
    )
    # What it is about: a customer, a lead or an opportunity (at least one).
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, null=True, blank=True, related_name="activities"
    )
    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, null=True, blank=True, related_name="activities"
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
    )
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    # Set by the reminder job in the same statement that claims the reminder: sent exactly once.
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True, editable=False)
    # A call's record, filled when it is logged as done.
    direction = models.CharField(_("direction"), max_length=3, choices=Interaction.Direction.choices, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Interaction.Outcome.choices, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # The timeline entry written when the activity was done (calls and meetings on a customer).
    interaction = models.OneToOneField(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="activity", editable=False
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # "My day": a user's open activities by due time (overdue, today, upcoming).
            models.Index(fields=["assignee", "due_at"], condition=Q(status="open"), name="activity_my_day_idx"),
            # The reminder job: unsent reminders that are due.
            models.Index(
                fields=["remind_at"],
                condition=Q(reminder_sent_at__isnull=True, status="open"),
                name="activity_reminder_due_idx",
            ),
            # The activities of a customer, lead or opportunity (their pages and the 360° panel).
            models.Index(fields=["customer", "status", "due_at"], name="activity_customer_idx"),
            models.Index(fields=["lead", "due_at"], name="activity_lead_idx"),
            models.Index(fields=["opportunity", "due_at"], name="activity_opportunity_idx"),
        ]

    def __str__(self) -> str:
        return self.subject
