"""Service-level targets: the business calendar they are measured in, and the policies."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerGroup


class BusinessCalendar(models.Model):
    """Working days and hours, and holidays: the clock service-level targets run on.

    The default install has one: the Iranian week (Saturday to Wednesday all day, Thursday
    morning, Friday off) in Tehran time; ``service/business_hours.py`` does the arithmetic.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=60, default="Asia/Tehran")
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday (a day may have several: a morning and an afternoon)."""

    class Weekday(models.IntegerChoices):
        # Python's date.weekday() numbering, listed from Saturday as the Iranian week starts.
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="working_period_start_before_end")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class SlaPolicy(models.Model):
    """Targets for the tickets it matches. Policies are tried in ``order``; the first whose
    conditions all match applies (an empty condition matches every ticket)."""

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=100, help_text=_("Lower is tried first."))
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions.
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True, help_text=_("Empty: any."))
    category = models.ForeignKey(
        "service.TicketCategory",
        verbose_name=_("category (and its sub-categories)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_group = models.ForeignKey(
        CustomerGroup,
        verbose_name=_("customer group (and its sub-groups)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Targets, in business minutes of the calendar.
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    warn_before_minutes = models.PositiveIntegerField(
        _("warn the owner this many business minutes before"), default=60, validators=[MinValueValidator(1)]
    )
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")

    def __str__(self) -> str:
        return self.name


class ServiceSettings(models.Model):
    """The install's service settings: one row (pk 1)."""

    acknowledgement_template = models.TextField(
        _("acknowledgement SMS"),
        default=_("Dear {customer_name}, we received your request. Your ticket number is {ticket_number}."),
        help_text=_("Placeholders: {customer_name}, {ticket_number}, {status_link}."),
    )
    survey_template = models.TextField(
        _("satisfaction survey SMS"),
        default=_("Dear {customer_name}, how did we do with ticket {ticket_number}? Rate us: {survey_link}"),
        help_text=_("Placeholders: {customer_name}, {ticket_number}, {survey_link}."),
    )
    # A score at or below this opens a follow-up for the team's manager.
    low_score = models.PositiveSmallIntegerField(_("low satisfaction score"), default=2)
    # Tickets handed over more than this many times are flagged to the manager.
    handoff_limit = models.PositiveSmallIntegerField(_("flag tickets transferred more than"), default=2)
    max_attachment_mb = models.PositiveSmallIntegerField(_("largest attachment (MB)"), default=10)

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(_("Service settings"))

    @classmethod
    def load(cls) -> "ServiceSettings":
        row, _created = cls.objects.get_or_create(pk=1)
        return row
