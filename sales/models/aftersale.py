"""After the sale: the settings of the thank-you and survey messages, and survey invitations."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from sales.models.orders import Order


class SalesSettings(models.Model):
    """The install's sales settings: one row (pk 1), edited in the admin or on the setup page."""

    class Trigger(models.TextChoices):
        PAID = "paid", _("When the order is paid in full")
        DELIVERED = "delivered", _("When the order is delivered")

    thank_you_enabled = models.BooleanField(_("send a thank-you SMS"), default=True)
    thank_you_trigger = models.CharField(_("send it"), max_length=10, choices=Trigger.choices, default=Trigger.PAID)
    thank_you_delay_minutes = models.PositiveIntegerField(_("delay (minutes)"), default=60)
    thank_you_template = models.TextField(
        _("thank-you message"),
        default=_("Dear {customer_name}, thank you for your order {order_number}. We hope you enjoy it!"),
        help_text=_("Placeholders: {customer_name}, {order_number}."),
    )
    survey_enabled = models.BooleanField(_("send a satisfaction survey"), default=True)
    survey_delay_days = models.PositiveSmallIntegerField(_("survey after (days)"), default=3)
    survey_template = models.TextField(
        _("survey message"),
        default=_("Dear {customer_name}, how was your order {order_number}? Tell us in one click: {survey_link}"),
        help_text=_("Placeholders: {customer_name}, {order_number}, {survey_link}."),
    )
    # No customer message is sent between these times (local time); it waits for the morning.
    quiet_hours_start = models.TimeField(_("quiet hours start"), default=datetime.time(21, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=datetime.time(9, 0))
    # Sales reps are reminded of their rotting opportunities once per this many days.
    rot_reminder_days = models.PositiveSmallIntegerField(_("remind of rotting deals every (days)"), default=7)

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")

    def __str__(self) -> str:
        return str(_("Sales settings"))

    @classmethod
    def load(cls) -> "SalesSettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings


class SurveyInvitation(models.Model):
    """A satisfaction survey sent after an order: one unguessable token, answered once."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sales_surveys")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        # Analytics: answers over time.
        indexes = [models.Index(fields=["answered_at"], name="sales_survey_answered_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.score or '—'}"
