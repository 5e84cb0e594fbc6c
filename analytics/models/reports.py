"""What the report pages read: facts per day and owner, and report snapshots, both rewritten by
the nightly computation so that no page aggregates a million order lines."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm_site.models import Team
from customers.models import MONEY


class DailyFact(models.Model):
    """One figure of one day for one owner and team (of the record it counts: the order's owner
    for revenue, the ticket's for service...). The dashboard sums these over a period."""

    class Metric(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        COST_OF_GOODS = "cogs", _("Cost of goods")
        RETURNS = "returns", _("Returns")
        ORDERS = "orders", _("Orders")
        NEW_CUSTOMERS = "new_customers", _("New customers")
        LOST_CUSTOMERS = "lost_customers", _("Lost customers")
        LEADS = "leads", _("Leads")
        LEADS_CONVERTED = "leads_converted", _("Leads converted")
        DEALS_WON = "deals_won", _("Deals won")
        DEALS_LOST = "deals_lost", _("Deals lost")
        TICKETS_RESOLVED = "tickets_resolved", _("Tickets resolved")
        TICKETS_IN_SLA = "tickets_in_sla", _("Tickets resolved in time")
        CSAT_ANSWERS = "csat_answers", _("Satisfaction answers")
        CSAT_SCORE = "csat_score", _("Satisfaction score (sum)")

    day = models.DateField(_("day"))
    metric = models.CharField(_("figure"), max_length=20, choices=Metric.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, related_name="+")
    value = models.DecimalField(_("value"), **MONEY, default=0)

    class Meta:
        verbose_name = _("daily figure")
        verbose_name_plural = _("daily figures")
        indexes = [models.Index(fields=["metric", "day"], name="fact_metric_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}: {self.value}"


class ReportSnapshot(models.Model):
    """A computed report (Pareto, RFM grid, forecast, basket, retention...) as JSON, one per kind
    and variant (e.g. kind "pareto", variant "profit:12")."""

    kind = models.CharField(_("report"), max_length=30)
    variant = models.CharField(_("variant"), max_length=60, blank=True)
    data = models.JSONField(_("data"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        constraints = [models.UniqueConstraint(fields=["kind", "variant"], name="report_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.variant}"


class ProductPair(models.Model):
    """Basket analysis: how often two products are bought in one order, with support, confidence
    (of ``other`` given ``product``) and lift."""

    product = models.ForeignKey("sales.Product", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("sales.Product", on_delete=models.CASCADE, related_name="+")
    orders = models.PositiveIntegerField(_("orders together"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))

    class Meta:
        verbose_name = _("product pair")
        verbose_name_plural = _("product pairs")
        constraints = [models.UniqueConstraint(fields=["product", "other"], name="product_pair_unique")]
        indexes = [models.Index(fields=["-lift"], name="product_pair_lift_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}→{self.other_id}"
