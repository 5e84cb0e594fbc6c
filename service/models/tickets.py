"""Tickets: requests, complaints, incidents and questions, with their conversation and history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm_site.models import Team
from customers.models import Customer


class Skill(models.Model):
    """What an agent or a contractor can handle (plumbing, installation, billing...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("agents"), blank=True, related_name="skills"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class TicketCategory(models.Model):
    """A node of the category tree (Repairs > Washing machines). ``path`` is the materialised
    path of ids, as for customer groups: "this category and everything under it" is a prefix match."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # The skill a ticket of this category needs (assignment "by skill").
    skill = models.ForeignKey(
        Skill, verbose_name=_("needs the skill"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="ticket_category_unique_name_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="ticket_category_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def indented_name(self) -> str:
        return "— " * self.depth + self.name


class Ticket(models.Model):
    class Kind(models.TextChoices):
        REQUEST = "request", _("Request")
        COMPLAINT = "complaint", _("Complaint")
        INCIDENT = "incident", _("Incident")
        QUESTION = "question", _("Question")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WEB_FORM = "web_form", _("Web form")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")
        ORDER = "order", _("From an order")

    class Priority(models.IntegerChoices):
        # Numbers, so that "raise the priority" on escalation is one step up.
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting on the customer")
        WAITING_CONTRACTOR = "waiting_contractor", _("Waiting on a contractor")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REQUEST)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets")
    # After-sales service refers to what was sold (service builds on sales; see the issue note).
    order = models.ForeignKey(
        "sales.Order", verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_tickets",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    assignment_rule = models.ForeignKey(
        "service.AssignmentRule",
        verbose_name=_("assigned by rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # "26% of customers were bounced between staff": every hand-over is counted and shown.
    handoffs = models.PositiveSmallIntegerField(_("hand-offs"), default=0)
    handoffs_flagged_at = models.DateTimeField(_("hand-offs flagged at"), null=True, blank=True)

    # Service-level targets: the policy and the deadlines it gave, in real (aware) time.
    sla_policy = models.ForeignKey(
        "service.SlaPolicy", verbose_name=_("service-level policy"), on_delete=models.SET_NULL, null=True, blank=True
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # When the owner is warned: the policy's warning time before each deadline, in business time.
    first_response_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    # While waiting on the customer the resolution clock stops: the business time left is kept
    # here and a new deadline computed from it when the ticket is picked up again.
    sla_paused_at = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    resolution_left_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Set by the SLA job in the statement that claims each event, so each happens exactly once.
    first_response_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_breached_at = models.DateTimeField(_("first response breached at"), null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breached_at = models.DateTimeField(_("resolution breached at"), null=True, blank=True)

    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # The secret in the customer's status link (/service/status/<number>/<token>/).
    public_token = models.CharField(max_length=64, unique=True, editable=False)
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "search_text"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The ticket list: newest first, scoped by owner or team, filtered by status.
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["owner", "status", "-created_at"], name="ticket_owner_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_idx"),
            models.Index(fields=["status", "priority"], name="ticket_status_idx"),
            # A customer's tickets (360° panel, analytics).
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            # The SLA job: tickets whose warning or deadline comes up and was not yet acted on.
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(first_response_at__isnull=True, first_response_warned_at__isnull=True),
                name="ticket_fr_warn_idx",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_at__isnull=True, first_response_breached_at__isnull=True),
                name="ticket_fr_due_idx",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(resolved_at__isnull=True, resolution_warned_at__isnull=True, sla_paused_at__isnull=True),
                name="ticket_resolution_warn_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(resolved_at__isnull=True, resolution_breached_at__isnull=True, sla_paused_at__isnull=True),
                name="ticket_resolution_due_idx",
            ),
            # Complaints by category over time (the service home page).
            models.Index(fields=["kind", "category", "created_at"], name="ticket_kind_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:ticket_detail", args=[self.pk])


class TicketMessage(models.Model):
    """The conversation: replies the customer sees, notes only staff see, and what the customer wrote."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to the customer")
        NOTE = "note", _("Internal note")
        CUSTOMER = "customer", _("From the customer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_message_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="service/attachments/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Whether the customer may see it on the status page (attachments of internal notes may not).
    is_public = models.BooleanField(_("shown to the customer"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """The ticket's history in words: every change of status, priority, owner, SLA and survey."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        CATEGORY = "category", _("Category changed")
        ASSIGNED = "assigned", _("Assigned")
        TRANSFERRED = "transferred", _("Transferred")
        REPLIED = "replied", _("Replied")
        NOTE = "note", _("Note added")
        SLA_WARNING = "sla_warning", _("Service-level warning")
        SLA_BREACH = "sla_breach", _("Service-level breach")
        ESCALATED = "escalated", _("Escalated")
        WORK_ORDER = "work_order", _("Work order")
        SURVEY = "survey", _("Satisfaction survey")
        REOPENED = "reopened", _("Reopened")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    old_value = models.CharField(_("from"), max_length=200, blank=True)
    new_value = models.CharField(_("to"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_event_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"


class TicketTransfer(models.Model):
    """A hand-over of a ticket: who had it, who got it, who decided and why (the "bounced
    between staff" report counts these)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
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
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket transfer")
        verbose_name_plural = _("ticket transfers")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_transfer_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_user_id} → {self.to_user_id}"
