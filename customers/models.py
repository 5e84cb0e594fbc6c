"""The customer file: people and organisations, their contacts, classification and timeline."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm_site.models import Team
from customers.geography import Province

MONEY = {"max_digits": 14, "decimal_places": 2}


class Source(models.Model):
    """Where customers come from (a managed list): the channel of acquisition."""

    class Channel(models.TextChoices):
        WEBSITE = "website", _("Website")
        REFERRAL = "referral", _("Referral")
        CAMPAIGN = "campaign", _("Campaign")
        EXHIBITION = "exhibition", _("Exhibition")
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        SOCIAL = "social", _("Social media")
        PARTNER = "partner", _("Partner")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.OTHER)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


class CustomerGroup(models.Model):
    """A node in the hierarchy of customer groups (Wholesale > Tehran > Key accounts).

    ``path`` is the materialised path of ids ("3/17/42/"), so "this group and all its sub-groups"
    is one indexed prefix match. The services keep it right when a group moves.
    """

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent group"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="customer_group_unique_name_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="customer_group_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def indented_name(self) -> str:
        return "— " * self.depth + self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=20, default="secondary", help_text=_("A Bootstrap colour name."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Interest(models.Model):
    """Lifestyle and interests (sport, travel, technology...), a managed list."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("interest")
        verbose_name_plural = _("interests")

    def __str__(self) -> str:
        return self.name


def first_name_of(*, first_name: str, name: str) -> str:
    """What messages greet a customer by ({first_name}): the first name, or else the first word of
    the name. One rule for campaigns, automation and loyalty SMS (and lists read as plain rows)."""
    return first_name or (name.split()[0] if name.strip() else "")


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        LOST = "lost", _("Lost")

    class ConsentMethod(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        VERBAL = "verbal", _("Verbally (phone or in person)")
        WRITTEN = "written", _("In writing")
        SMS_REPLY = "sms_reply", _("SMS reply")
        IMPORT = "import", _("Imported")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    class Education(models.TextChoices):
        PRIMARY = "primary", _("Primary school")
        DIPLOMA = "diploma", _("High-school diploma")
        ASSOCIATE = "associate", _("Associate degree")
        BACHELOR = "bachelor", _("Bachelor's degree")
        MASTER = "master", _("Master's degree")
        DOCTORATE = "doctorate", _("Doctorate")

    class IncomeBand(models.TextChoices):
        LOW = "low", _("Low")
        LOWER_MIDDLE = "lower_middle", _("Lower middle")
        MIDDLE = "middle", _("Middle")
        UPPER_MIDDLE = "upper_middle", _("Upper middle")
        HIGH = "high", _("High")

    class MaritalStatus(models.TextChoices):
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        OTHER = "other", _("Other")

    code = models.CharField(_("customer code"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        "self",
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        limit_choices_to={"kind": "organisation"},
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    # The primary phone and email, kept in step with the contact tables for lists and exports.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)

    address = models.TextField(_("address"), blank=True)
    province = models.CharField(_("province"), max_length=30, choices=Province.choices, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    region = models.CharField(_("region"), max_length=80, blank=True, help_text=_("District or area."))
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROSPECT)
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.SET_NULL, null=True, blank=True, related_name="customers"
    )
    acquisition_cost = models.DecimalField(_("acquisition cost"), **MONEY, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="customers"
    )
    groups = models.ManyToManyField(CustomerGroup, verbose_name=_("groups"), blank=True, related_name="customers")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    interests = models.ManyToManyField(Interest, verbose_name=_("interests"), blank=True, related_name="customers")

    sms_consent = models.BooleanField(_("agrees to marketing SMS"), default=False)
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    sms_consent_method = models.CharField(
        _("SMS consent given by"), max_length=12, choices=ConsentMethod.choices, blank=True
    )
    email_consent = models.BooleanField(_("agrees to marketing email"), default=False)
    email_consent_at = models.DateTimeField(_("email consent given at"), null=True, blank=True)
    email_consent_method = models.CharField(
        _("email consent given by"), max_length=12, choices=ConsentMethod.choices, blank=True
    )

    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=10, choices=MaritalStatus.choices, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    education = models.CharField(_("education"), max_length=12, choices=Education.choices, blank=True)
    income_band = models.CharField(_("income band"), max_length=12, choices=IncomeBand.choices, blank=True)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    lifestyle = models.CharField(_("lifestyle"), max_length=200, blank=True)
    attributes = models.JSONField(_("other attributes"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    # Normalised name, code, phones and emails in one column: the search box and the duplicate
    # check match against it (with a trigram index on PostgreSQL). Maintained by the services.
    search_text = models.TextField(editable=False, default="")
    name_key = models.CharField(max_length=200, editable=False, default="")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    history = HistoricalRecords(excluded_fields=["search_text", "name_key", "updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("access_all_customers", _("Can see and change every customer"))]
        indexes = [
            # The default list order and the "created" range filter.
            models.Index(fields=["-created_at", "-id"], name="customer_created_idx"),
            # Own / team scoping, each with the default order.
            models.Index(fields=["owner", "-created_at"], name="customer_owner_idx"),
            models.Index(fields=["team", "-created_at"], name="customer_team_idx"),
            # Filters: status, geography; sorting by name.
            models.Index(fields=["status", "-created_at"], name="customer_status_idx"),
            models.Index(fields=["province", "city"], name="customer_geo_idx"),
            models.Index(fields=["name"], name="customer_name_idx"),
            # Duplicate check: a similar name in the same city (compared case-insensitively).
            models.Index(Upper("city"), "name_key", name="customer_dupe_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:detail", args=[self.pk])

    @property
    def greeting_name(self) -> str:
        return first_name_of(first_name=self.first_name, name=self.name)


class CustomerPhone(models.Model):
    class Label(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        HOME = "home", _("Home")
        WORK = "work", _("Work")
        FAX = "fax", _("Fax")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=20, help_text=_("In E.164 form."))
    label = models.CharField(_("label"), max_length=10, choices=Label.choices, default=Label.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique")]
        # Duplicate check and search by exact number.
        indexes = [models.Index(fields=["number"], name="customer_phone_number_idx")]

    def __str__(self) -> str:
        return self.number


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("address"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        constraints = [models.UniqueConstraint(fields=["customer", "address"], name="customer_email_unique")]
        # Duplicate check and search by exact address.
        indexes = [models.Index(fields=["address"], name="customer_email_address_idx")]

    def __str__(self) -> str:
        return self.address


class Interaction(models.Model):
    """One entry of a customer's timeline: a contact, or an event another app announced."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        NOTE = "note", _("Note")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        ORDER = "order", _("Order")
        PAYMENT = "payment", _("Payment")
        TICKET = "ticket", _("Ticket")
        CAMPAIGN = "campaign", _("Campaign message")
        SURVEY = "survey", _("Survey answer")
        SYSTEM = "system", _("System")

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Left a voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        CALL_BACK = "call_back", _("Asked to call back")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("details"), blank=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    # The record behind an event (an order, a ticket, an outbox message...), shown as a link.
    content_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("content_type", "object_id")
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            # The 360° timeline, newest first, with and without a kind filter.
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline_idx"),
            models.Index(fields=["customer", "kind", "-occurred_at"], name="interaction_kind_idx"),
            # Finding the timeline entry of a given record (idempotent event recording).
            models.Index(fields=["content_type", "object_id"], name="interaction_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:50]}"

    @property
    def duration_minutes(self) -> int:
        return round((self.duration_seconds or 0) / 60)


class CustomerStats(models.Model):
    """Per-customer figures written by the analytics jobs and read by segments and the 360° page."""

    class RfmSegment(models.TextChoices):
        # The codes analytics.metrics.rfm assigns (a test keeps the two lists equal).
        CHAMPIONS = "champions", _("Champions")
        LOYAL = "loyal", _("Loyal")
        POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalists")
        NEW = "new", _("New customers")
        PROMISING = "promising", _("Promising")
        NEED_ATTENTION = "need_attention", _("Need attention")
        ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
        AT_RISK = "at_risk", _("At risk")
        CANT_LOSE = "cant_lose", _("Can't lose them")
        HIBERNATING = "hibernating", _("Hibernating")
        LOST = "lost", _("Lost")

    class ParetoClass(models.TextChoices):
        A = "A", _("A — top 80% of value")
        B = "B", _("B — next 15%")
        C = "C", _("C — last 5%")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="stats")
    recency_days = models.PositiveIntegerField(_("days since last purchase"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("purchases"), default=0)
    monetary = models.DecimalField(_("total spent"), **MONEY, default=0)
    clv_historic = models.DecimalField(_("historic lifetime value"), **MONEY, null=True, blank=True)
    clv_predicted = models.DecimalField(_("predicted lifetime value"), **MONEY, null=True, blank=True)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    pareto_class = models.CharField(_("Pareto class"), max_length=1, choices=ParetoClass.choices, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=40, choices=RfmSegment.choices, blank=True)
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    # Quintile scores, 5 the best (most recent, most frequent, highest spend); rfm_segment names the cell.
    rfm_recency = models.PositiveSmallIntegerField(_("recency score"), null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(_("frequency score"), null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(_("monetary score"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    # Lifetime value × churn risk: who to call first.
    value_at_risk = models.DecimalField(_("value at risk"), **MONEY, null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer figures")
        verbose_name_plural = _("customer figures")
        indexes = [
            models.Index(fields=["pareto_class"], name="stats_pareto_idx"),
            models.Index(fields=["rfm_segment"], name="stats_rfm_idx"),
            models.Index(fields=["-value_at_risk"], name="stats_value_at_risk_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}"


class CustomerMerge(models.Model):
    """The record of a merge: which customer was folded into which, by whom, with a snapshot."""

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    merged_code = models.CharField(max_length=30)
    merged_name = models.CharField(max_length=200)
    merged_data = models.JSONField(default=dict)
    moved = models.JSONField(default=dict, help_text=_("How many related records moved, by kind."))
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.merged_code} → {self.survivor_id}"


class ImportMapping(models.Model):
    """The column mapping a user chose for a spreadsheet layout, offered again when they upload
    a file with the same header row (recognised by a hash of its headings)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    headers_hash = models.CharField(max_length=64)
    # One entry per column of the header row: the import field it feeds, or "" to skip it.
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")
        # The mapping step looks up the user's mapping for a header row; one row per layout.
        constraints = [
            models.UniqueConstraint(fields=["user", "headers_hash"], name="import_mapping_unique_layout"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.headers_hash[:8]}"
