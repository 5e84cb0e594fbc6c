"""What the lifetime-value and churn figures cost and assume: one settings row, and the cost of
serving a ticket by priority and category."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import MONEY
from service.models import Ticket

PERCENT = {"max_digits": 5, "decimal_places": 2}


class AnalyticsSettings(models.Model):
    """The install's assumptions for lifetime value, churn and the key-customer ranking (one row)."""

    class ParetoMeasure(models.TextChoices):
        PROFIT = "profit", _("Profit")
        REVENUE = "revenue", _("Revenue")

    annual_discount_rate = models.DecimalField(
        _("annual discount rate (%)"),
        **PERCENT,
        default=Decimal("20"),
        help_text=_("The time value of money: each cash flow is discounted to the day the customer was acquired."),
    )
    cost_per_order = models.DecimalField(
        _("cost per order"), **MONEY, default=Decimal("0"), help_text=_("Handling, packing and delivery of one order.")
    )
    cost_per_activity = models.DecimalField(
        _("cost per sales activity"), **MONEY, default=Decimal("0"), help_text=_("A call, meeting or visit logged.")
    )
    cost_per_message = models.DecimalField(
        _("cost per campaign message"),
        **MONEY,
        default=Decimal("0"),
        help_text=_("For campaigns that record no cost per message of their own."),
    )
    horizon_months = models.PositiveSmallIntegerField(
        _("prediction horizon (months)"), default=12, help_text=_("How far ahead the predicted lifetime value looks.")
    )
    inactive_days = models.PositiveSmallIntegerField(
        _("inactive after (days)"),
        default=180,
        help_text=_("A customer with no purchase for this long counts as lost in the churn reports."),
    )
    pareto_measure = models.CharField(
        _("key customers ranked by"), max_length=8, choices=ParetoMeasure.choices, default=ParetoMeasure.PROFIT
    )
    pareto_months = models.PositiveSmallIntegerField(
        _("key customers over (months)"), default=12, help_text=_("0 ranks customers over their whole history.")
    )

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")

    def __str__(self) -> str:
        return str(_("Analytics settings"))

    @classmethod
    def load(cls) -> "AnalyticsSettings":
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class TicketCost(models.Model):
    """What serving a ticket costs. The most specific row wins: category and priority, then
    category, then priority, then the row with neither (the default)."""

    category = models.ForeignKey(
        "service.TicketCategory",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every category."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Ticket.Priority.choices, null=True, blank=True, help_text=_("Empty: every priority.")
    )
    cost_per_ticket = models.DecimalField(_("cost per ticket"), **MONEY, default=Decimal("0"))
    cost_per_hour = models.DecimalField(
        _("cost per hour open"),
        **MONEY,
        default=Decimal("0"),
        help_text=_("Charged for each hour from opening to resolution."),
    )

    class Meta:
        verbose_name = _("ticket cost")
        verbose_name_plural = _("ticket costs")
        # Rows with an empty category or priority are kept unique by clean(): a unique constraint
        # treats empty values as distinct on every database this runs on.
        constraints = [models.UniqueConstraint(fields=["category", "priority"], name="ticket_cost_unique")]

    def __str__(self) -> str:
        category = self.category or _("every category")
        priority = self.get_priority_display() if self.priority else _("every priority")
        return f"{category} / {priority}"

    def clean(self) -> None:
        same = TicketCost.objects.filter(category=self.category, priority=self.priority).exclude(pk=self.pk)
        if same.exists():
            raise ValidationError(_("There is already a cost for this category and priority."))
