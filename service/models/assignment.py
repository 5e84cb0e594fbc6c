"""How a new ticket finds its one owner."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm_site.models import Team
from service.models.tickets import Skill, TicketCategory


class AssignmentRule(models.Model):
    """Rules are tried in ``order``; the first whose conditions match assigns the ticket. A rule
    with no condition matches every ticket (a catch-all at the end)."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin among the rule's agents (or the team's)")
        BY_SKILL = "by_skill", _("The agent with the skill the category needs and the fewest open tickets")
        FIXED = "fixed", _("Always the first of the rule's agents")

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=100, help_text=_("Lower is tried first."))
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category (and its sub-categories)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kinds = models.JSONField(_("kinds"), default=list, blank=True, help_text=_("Empty: any kind."))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices, default=Method.ROUND_ROBIN)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("agents"), blank=True, related_name="+")
    skill = models.ForeignKey(
        Skill,
        verbose_name=_("skill"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For the skill method: empty means the skill the ticket's category needs."),
    )
    # Round-robin position: who got the previous ticket from this rule.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("ticket assignment rule")
        verbose_name_plural = _("ticket assignment rules")

    def __str__(self) -> str:
        return self.name
