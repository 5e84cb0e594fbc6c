"""Leads: people or firms that may buy, before they are customers with an opportunity."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm_site.models import Team
from customers.geography import Province
from customers.models import Customer, Source
from sales.models.catalog import MONEY


class DisqualifyReason(models.Model):
    """Why a lead was disqualified (a managed list: no budget, wrong market, unreachable...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("disqualification reason")
        verbose_name_plural = _("disqualification reasons")

    def __str__(self) -> str:
        return self.name


class AssignmentRule(models.Model):
    """How a new lead finds its owner. Rules are tried in ``priority`` order; the first whose
    conditions match assigns the lead. Conditions left empty match every lead."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin among the rule's reps")
        FIXED = "fixed", _("Always the first of the rule's reps")

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower runs first."))
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions: by territory (provinces) and/or by source.
    provinces = models.JSONField(_("provinces"), default=list, blank=True, help_text=_("Empty: any province."))
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="+", help_text=_("Empty: any source.")
    )
    # Who gets the lead: the reps listed, or, when none are listed, the members of the team.
    method = models.CharField(_("method"), max_length=12, choices=Method.choices, default=Method.ROUND_ROBIN)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("reps"), blank=True, related_name="+")
    # Round-robin position: the id of the rep who got the previous lead from this rule.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")

    def __str__(self) -> str:
        return self.name


class ScoringRule(models.Model):
    """One line of the lead score a manager tunes: "leads from a referral +20", "has a phone +10"."""

    class Criterion(models.TextChoices):
        SOURCE = "source", _("Comes from the source")
        HAS_PHONE = "has_phone", _("Has a phone number")
        HAS_EMAIL = "has_email", _("Has an email address")
        HAS_COMPANY = "has_company", _("Names a company")
        HAS_INTEREST = "has_interest", _("Describes an interest")
        VALUE_AT_LEAST = "value_at_least", _("Estimated value at least")
        ACTIVITIES_AT_LEAST = "activities_at_least", _("Logged contacts at least")
        PROVINCE = "province", _("Is in the province")

    criterion = models.CharField(_("criterion"), max_length=20, choices=Criterion.choices)
    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.CASCADE, null=True, blank=True)
    province = models.CharField(_("province"), max_length=30, choices=Province.choices, blank=True)
    threshold = models.DecimalField(_("threshold"), **MONEY, null=True, blank=True)
    points = models.SmallIntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["criterion", "id"]
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")

    def __str__(self) -> str:
        return f"{self.get_criterion_display()}: {self.points:+d}"


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        MANUAL = "manual", _("Entered by staff")
        IMPORT = "import", _("Imported")

    # Who: a person, possibly at a company.
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("In E.164 form."))
    email = models.EmailField(_("email"), blank=True)
    province = models.CharField(_("province"), max_length=30, choices=Province.choices, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    # Where from and what for.
    channel = models.CharField(_("arrived by"), max_length=10, choices=Channel.choices, default=Channel.MANUAL)
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    # The campaign's code (utm_campaign on the web form); marketing matches its campaigns on it.
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    interest = models.TextField(_("interest"), blank=True, help_text=_("What they asked about."))
    estimated_value = models.DecimalField(_("estimated value"), **MONEY, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    disqualify_reason = models.ForeignKey(
        DisqualifyReason, verbose_name=_("disqualification reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    score = models.SmallIntegerField(_("score"), default=0)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    assignment_rule = models.ForeignKey(
        AssignmentRule,
        verbose_name=_("assigned by rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    # Conversion: the customer it became (or was linked to) and the opportunity it opened.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    opportunity = models.OneToOneField(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="converted_lead",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    last_contacted_at = models.DateTimeField(_("last contacted at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            # The lead list: newest first, scoped by owner or team, filtered by status.
            models.Index(fields=["-created_at", "-id"], name="lead_created_idx"),
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_idx"),
            models.Index(fields=["team", "-created_at"], name="lead_team_idx"),
            models.Index(fields=["status", "-created_at"], name="lead_status_idx"),
            # Conversion metrics by source and period.
            models.Index(fields=["source", "created_at"], name="lead_source_idx"),
            # The public form's duplicate check: an open lead with the same phone or email.
            models.Index(fields=["phone"], condition=~Q(phone=""), name="lead_phone_idx"),
            models.Index(fields=["email"], condition=~Q(email=""), name="lead_email_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:lead_detail", args=[self.pk])


class LeadAssignment(models.Model):
    """Every hand-over of a lead: who had it, who got it, by which rule or by whom, and why."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule = models.ForeignKey(
        AssignmentRule, verbose_name=_("rule"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    assigned_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        verbose_name = _("lead assignment")
        verbose_name_plural = _("lead assignments")
        # A lead's history, newest first.
        indexes = [models.Index(fields=["lead", "-assigned_at"], name="lead_assignment_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_user_id} → {self.to_user_id}"
