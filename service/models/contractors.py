"""Outside contractors who deliver part of the service, and the work orders they get.

A contractor sees a work order, never the ticket or the customer's file: the order carries a copy
of what the job needs (subject, address, contact phone), taken when it is issued.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service.models.tickets import Skill, Ticket


class ContractorCompany(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("In E.164 form."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("contractor company")
        verbose_name_plural = _("contractor companies")

    def __str__(self) -> str:
        return self.name


class ContractorProfile(models.Model):
    """A contractor user's company and skills."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contractor")
    company = models.ForeignKey(
        ContractorCompany, verbose_name=_("company"), on_delete=models.PROTECT, related_name="people"
    )
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True, related_name="contractors")

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")

    def __str__(self) -> str:
        return f"{self.user} ({self.company})"


class WorkOrder(models.Model):
    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="work_orders")
    contractor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("contractor"), on_delete=models.PROTECT, related_name="work_orders"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OFFERED)
    # What the contractor may know, copied from the ticket and customer when issued.
    subject = models.CharField(_("job"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    service_address = models.TextField(_("service address"))
    contact_name = models.CharField(_("contact"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    scheduled_for = models.DateTimeField(_("visit planned for"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    decline_reason = models.CharField(_("why declined"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            # The portal's list: a contractor's work orders, open ones first.
            models.Index(fields=["contractor", "status", "-created_at"], name="work_order_contractor_idx"),
            models.Index(fields=["ticket", "-created_at"], name="work_order_ticket_idx"),
        ]
        constraints = [
            # One live work order per ticket and contractor.
            models.UniqueConstraint(
                fields=["ticket", "contractor"],
                condition=Q(status__in=["offered", "accepted", "in_progress"]),
                name="work_order_one_live_per_contractor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.contractor_id}: {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        """The contractor's page of the work order (staff see it on the ticket)."""
        from django.urls import reverse

        return reverse("portal:work_order", args=[self.pk])


class WorkOrderUpdate(models.Model):
    """A contractor's (or staff's) note, status change or photo on a work order."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("new status"), max_length=12, choices=WorkOrder.Status.choices, blank=True)
    photo = models.FileField(_("photo"), upload_to="service/work_orders/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("work order update")
        verbose_name_plural = _("work order updates")
        indexes = [models.Index(fields=["work_order", "created_at"], name="work_order_update_idx")]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.note[:40]}"
