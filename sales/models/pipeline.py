"""Opportunities and the pipelines they move through."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm_site.models import Team
from customers.models import Customer, Source
from sales.models.catalog import MONEY, PERCENT, Product


class Pipeline(models.Model):
    """A sales process with its own stages (e.g. "Retail" and "Projects")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    # An open opportunity untouched this many days in this stage is "rotting" (empty: never).
    rot_days = models.PositiveSmallIntegerField(_("rots after (days)"), null=True, blank=True)

    class Meta:
        ordering = ["pipeline", "order", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name_in_pipeline")]

    def __str__(self) -> str:
        return self.name


class LossReason(models.Model):
    """Why a deal was lost (a managed list: price, competitor, timing, no decision...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Method(models.TextChoices):
        NONE = "", _("No method")
        SPIN = "spin", _("SPIN selling")
        TAS = "tas", _("Target Account Selling")
        RADAR = "radar", _("RADAR")

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities"
    )
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    status = models.CharField(_("status"), max_length=4, choices=Status.choices, default=Status.OPEN)
    amount = models.DecimalField(_("amount"), **MONEY, default=0)
    # Defaults to the stage's probability when the stage changes; a rep may override it.
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="opportunities"
    )
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    loss_reason = models.ForeignKey(
        LossReason, verbose_name=_("loss reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    loss_note = models.TextField(_("about the loss"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The selling method the rep follows and the answers of its playbook, by step and field
    # (see sales/methods.py for the methods' steps).
    method = models.CharField(_("selling method"), max_length=5, choices=Method.choices, blank=True, default="")
    playbook = models.JSONField(_("playbook answers"), default=dict, blank=True)
    # Rotting: when the opportunity entered its stage and when anyone last touched it.
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    last_activity_at = models.DateTimeField(_("last touched at"))
    rot_notified_at = models.DateTimeField(_("owner reminded of rotting at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    history = HistoricalRecords(excluded_fields=["updated_at", "playbook"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # The board: a pipeline's open opportunities by stage.
            models.Index(fields=["pipeline", "status", "stage"], name="opportunity_board_idx"),
            # The board's cards: a stage's most recently touched opportunities.
            models.Index(fields=["stage", "-last_activity_at"], name="opportunity_stage_touched_idx"),
            # Own / team scoping with the list's default order.
            models.Index(fields=["owner", "status", "-created_at"], name="opportunity_owner_idx"),
            # A rep's list in its default order (newest first, every status).
            models.Index(fields=["owner", "-created_at"], name="opportunity_owner_recent_idx"),
            models.Index(fields=["team", "-created_at"], name="opportunity_team_idx"),
            # The forecast by expected close month, and the 360° panel.
            models.Index(fields=["status", "expected_close_date"], name="opportunity_close_idx"),
            models.Index(fields=["customer", "-created_at"], name="opportunity_customer_idx"),
            # The rotting job: open opportunities not touched for a while.
            models.Index(fields=["last_activity_at"], condition=Q(status="open"), name="opportunity_rot_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:opportunity_detail", args=[self.pk])


class OpportunityLine(models.Model):
    """A product the opportunity is about (the amount may be their total or set by hand)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), **PERCENT, default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class StageChange(models.Model):
    """An opportunity moved from one stage to another: the raw data of conversion rates between
    stages and of cycle times. The first row of an opportunity has no ``from_stage``."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(_("when"))
    # Time spent in ``from_stage`` before this change.
    seconds_in_previous = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            # An opportunity's history, and stage-to-stage conversion over a period.
            models.Index(fields=["opportunity", "changed_at"], name="stage_change_opportunity_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stage_change_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"


class BuyingRole(models.Model):
    """Target Account Selling: a person at the account, the part they play in the decision, and
    where they stand."""

    class Role(models.TextChoices):
        ECONOMIC = "economic", _("Economic buyer (signs off the money)")
        TECHNICAL = "technical", _("Technical buyer (judges the fit)")
        USER = "user", _("User buyer (will use it)")
        COACH = "coach", _("Coach (guides us inside)")
        GATEKEEPER = "gatekeeper", _("Gatekeeper")

    class Stance(models.TextChoices):
        SUPPORTER = "supporter", _("Supporter")
        NEUTRAL = "neutral", _("Neutral")
        OPPONENT = "opponent", _("Opponent")
        UNKNOWN = "unknown", _("Unknown")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="buying_roles")
    name = models.CharField(_("name"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    contact = models.ForeignKey(
        Customer, verbose_name=_("contact"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    stance = models.CharField(_("stance"), max_length=10, choices=Stance.choices, default=Stance.UNKNOWN)
    influence = models.PositiveSmallIntegerField(_("influence (1–5)"), default=3, validators=[MaxValueValidator(5)])
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering = ["role", "name"]
        verbose_name = _("buying role")
        verbose_name_plural = _("buying roles")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"
