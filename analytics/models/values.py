"""Each customer's lifetime value taken apart: what they brought in and what they cost, as it
happened and discounted to the day they were acquired, and what the models expect of them.

Written in bulk by the nightly computation (analytics/services/compute); the customer's page
shows every component so that a manager can see why the number is what it is. The few figures
other apps read (lifetime value, RFM, Pareto class, churn risk) are copied to
``customers.CustomerStats``."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import MONEY, Customer


def _money(label):
    return models.DecimalField(label, **MONEY, default=0)


class CustomerValue(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="value")
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True)
    first_purchase_on = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase_on = models.DateField(_("last purchase"), null=True, blank=True)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    activities = models.PositiveIntegerField(_("sales activities"), default=0)
    messages = models.PositiveIntegerField(_("campaign messages"), default=0)
    tickets = models.PositiveIntegerField(_("tickets"), default=0)

    # As it happened (nominal).
    revenue = _money(_("revenue"))  # paid orders, net of discounts, before tax
    returns = _money(_("returns"))
    cost_of_goods = _money(_("cost of goods"))  # net of goods returned
    acquisition_cost = _money(_("acquisition cost"))
    order_costs = _money(_("order handling"))
    activity_costs = _money(_("sales activities"))
    message_costs = _money(_("campaign messages"))
    service_costs = _money(_("service"))

    # The same flows discounted to the acquisition date.
    revenue_pv = _money(_("revenue (discounted)"))
    returns_pv = _money(_("returns (discounted)"))
    cost_of_goods_pv = _money(_("cost of goods (discounted)"))
    order_costs_pv = _money(_("order handling (discounted)"))
    activity_costs_pv = _money(_("sales activities (discounted)"))
    message_costs_pv = _money(_("campaign messages (discounted)"))
    service_costs_pv = _money(_("service (discounted)"))
    clv_historic = _money(_("historic lifetime value"))

    # The models (BG/NBD and Gamma-Gamma) over the horizon.
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_spend = models.DecimalField(_("expected spend per purchase"), **MONEY, null=True, blank=True)
    margin_ratio = models.FloatField(_("gross margin ratio"), null=True, blank=True)
    clv_predicted = models.DecimalField(_("predicted lifetime value"), **MONEY, null=True, blank=True)

    # The key-customer ranking (AnalyticsSettings.pareto_measure over pareto_months).
    period_revenue = _money(_("revenue in the period"))
    period_profit = _money(_("profit in the period"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        indexes = [
            models.Index(fields=["-clv_historic"], name="value_clv_idx"),
            # The list ranked by prediction (customers without one last) has an index on PostgreSQL
            # only, made by migration 0003: SQLite cannot index NULLS LAST.
            models.Index(fields=["-period_profit"], name="value_period_profit_idx"),
            models.Index(fields=["-period_revenue"], name="value_period_revenue_idx"),
            models.Index(fields=["first_purchase_on"], name="value_first_purchase_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.clv_historic}"

    @property
    def gross_margin(self):
        return self.revenue - self.returns - self.cost_of_goods

    @property
    def gross_margin_pv(self):
        return self.revenue_pv - self.returns_pv - self.cost_of_goods_pv

    @property
    def costs_pv(self):
        return (
            self.acquisition_cost
            + self.order_costs_pv
            + self.activity_costs_pv
            + self.message_costs_pv
            + (self.service_costs_pv)
        )
