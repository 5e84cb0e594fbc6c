"""Segments: saved rules over customers (or hand-picked lists), nested to refine one another, and
the record of who was in a segment when."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class Segment(models.Model):
    """A set of customers. A *rule* segment is defined by ``rules`` (a JSON tree of conditions,
    see ``marketing.segments.rules``) and compiled to one query; a *static* segment is a list of
    members picked by hand or imported. A child segment refines its parent: its customers are
    the parent's that also match its own rule (or list)."""

    class Kind(models.TextChoices):
        RULE = "rule", _("Rule")
        STATIC = "static", _("Static list")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RULE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("refines"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("A child segment keeps only the parent's customers that also match it."),
    )
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The size the last count found (home page and lists read it instead of counting again).
    last_count = models.PositiveIntegerField(_("size"), null=True, blank=True)
    last_counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    # Segments that automation rules watch have their membership tracked over time
    # (``SegmentMembership``); this is when it was last brought up to date.
    membership_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="segment_unique_name_in_parent")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:segment_detail", args=[self.pk])


class SegmentMember(models.Model):
    """A customer on a static list."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="static_segments")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("list member")
        verbose_name_plural = _("list members")
        constraints = [models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_unique")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"


class SegmentMembership(models.Model):
    """One stay of a customer in a segment: from ``entered_at`` until ``left_at`` (open while
    still a member). Kept for the segments campaigns and automation rules use, so "entered" and
    "left" are events and "who was in it on that day" has an answer."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="segment_memberships")
    entered_at = models.DateTimeField(_("entered at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        constraints = [
            # At most one open stay per customer and segment.
            models.UniqueConstraint(
                fields=["segment", "customer"], condition=Q(left_at__isnull=True), name="segment_membership_one_open"
            )
        ]
        indexes = [models.Index(fields=["customer", "-entered_at"], name="segment_stay_customer_idx")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"


class SegmentSnapshot(models.Model):
    """The size of a segment at a moment that mattered (a campaign run used it)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(_("taken at"))
    size = models.PositiveIntegerField(_("size"))
    campaign_run = models.ForeignKey(
        "marketing.CampaignRun", on_delete=models.CASCADE, null=True, blank=True, related_name="segment_snapshots"
    )

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")

    def __str__(self) -> str:
        return f"{self.segment_id}@{self.taken_at:%Y-%m-%d}: {self.size}"
