"""The loyalty programme: points earned on paid orders, tiers, expiry and redemption, kept as an
append-only ledger per customer."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import MONEY, Customer, CustomerGroup


class LoyaltySettings(models.Model):
    """The programme's settings (one row)."""

    is_active = models.BooleanField(_("programme active"), default=True)
    amount_per_point = models.DecimalField(
        _("amount per point"),
        **MONEY,
        default=Decimal("100000"),
        help_text=_("A customer earns one point for each such amount paid."),
    )
    point_value = models.DecimalField(
        _("value of a point"), **MONEY, default=Decimal("1000"), help_text=_("What one point is worth when redeemed.")
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), default=12, help_text=_("0 keeps points for ever.")
    )
    min_redemption = models.PositiveIntegerField(_("smallest redemption (points)"), default=10)
    tier_window_months = models.PositiveSmallIntegerField(
        _("tier looks back (months)"), default=12, help_text=_("Tiers follow the points earned over this period.")
    )
    tier_change_sms = models.TextField(
        _("tier change SMS"),
        blank=True,
        default="{first_name}, congratulations: you are now a {tier} member. Your points: {points}.",
        help_text=_("Placeholders: {first_name}, {name}, {tier}, {points}. Leave empty to send nothing."),
    )

    class Meta:
        verbose_name = _("loyalty settings")
        verbose_name_plural = _("loyalty settings")

    def __str__(self) -> str:
        return str(_("Loyalty settings"))

    @classmethod
    def load(cls) -> "LoyaltySettings":
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class LoyaltyTier(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    threshold = models.PositiveIntegerField(
        _("points needed"), unique=True, help_text=_("Points earned over the tier window to reach this tier.")
    )
    multiplier = models.DecimalField(_("points multiplier"), max_digits=5, decimal_places=2, default=Decimal("1.00"))
    benefits = models.TextField(_("benefits"), blank=True)
    color = models.CharField(_("colour"), max_length=20, default="secondary", help_text=_("A Bootstrap colour name."))

    class Meta:
        ordering = ["threshold"]
        verbose_name = _("loyalty tier")
        verbose_name_plural = _("loyalty tiers")

    def __str__(self) -> str:
        return self.name


class EarningRule(models.Model):
    """Extra points: a multiplier on the lines of a product category (and its sub-categories), for
    customers of a group (and its sub-groups), or for everyone during a bonus period. Where several
    rules match a line, the largest multiplier counts."""

    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey(
        "sales.ProductCategory",
        verbose_name=_("product category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        CustomerGroup,
        verbose_name=_("customer group"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=Decimal("2.00"))
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    """A customer's membership. The row is what concurrent redemptions lock; the balance is never
    stored here but summed from the ledger."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="loyalty")
    tier = models.ForeignKey(
        LoyaltyTier, verbose_name=_("tier"), on_delete=models.SET_NULL, null=True, blank=True, related_name="accounts"
    )
    joined_at = models.DateTimeField(_("member since"))
    tier_changed_at = models.DateTimeField(_("tier since"), null=True, blank=True)

    class Meta:
        verbose_name = _("loyalty member")
        verbose_name_plural = _("loyalty members")

    def __str__(self) -> str:
        return str(self.customer_id)


class PointsEntry(models.Model):
    """One line of a customer's points ledger: appended, never edited. Earned points are positive;
    redeemed and expired points negative. ``key`` makes each earning or redemption happen once."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        BONUS = "bonus", _("Bonus")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjustment")

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    created_at = models.DateTimeField(_("when"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    order = models.ForeignKey(
        "sales.Order", verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(
        _("amount"), **MONEY, null=True, blank=True, help_text=_("The amount paid, or the discount a redemption gave.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    key = models.CharField(max_length=120, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        indexes = [
            models.Index(fields=["account", "-created_at"], name="points_account_idx"),
            # The expiry job: earnings whose time has come.
            models.Index(fields=["expires_at"], condition=Q(points__gt=0), name="points_expiring_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.points:+d}"
