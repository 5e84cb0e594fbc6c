"""Writes of leads: capture (staff, web form, import), assignment and hand-over, status changes,
and conversion into a customer with an opportunity."""

from datetime import UTC
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.access import Role
from crm_site.events import Event, announce
from crm_site.messaging.phone import normalize_phone
from crm_site.models import User
from crm_site.services import notification_create
from crm_site.text import normalize_text
from customers.duplicates import find_duplicates
from customers.models import Customer, Interaction
from customers.services import customer_create, interaction_record
from sales.models import DisqualifyReason, Lead, LeadAssignment, Opportunity, Pipeline
from sales.services.lead_rules import assignment_pick, lead_score
from sales.services.pipeline import opportunity_create

# Fields a caller may set on create and update.
LEAD_FIELDS = frozenset(
    {
        "name", "company", "job_title", "phone", "email", "province", "city", "source", "campaign",
        "interest", "estimated_value", "notes", "owner", "team",
    }
)  # fmt: skip
OPEN_STATUSES = (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED)
CONVERTIBLE_STATUSES = (Lead.Status.CONTACTED, Lead.Status.QUALIFIED)
_TEXT_FIELDS = ("name", "company", "job_title", "city", "campaign")


def _apply_fields(lead: Lead, fields: dict) -> None:
    unknown = set(fields) - LEAD_FIELDS
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name in _TEXT_FIELDS:
            value = normalize_text(value or "")
        elif name in ("interest", "notes"):
            value = (value or "").strip()
        setattr(lead, name, value)
    phone = str(lead.phone or "").strip()
    if phone:
        try:
            lead.phone = normalize_phone(phone)
        except ValidationError:
            raise ValidationError({"phone": _("Enter a valid phone number.")}) from None
    else:
        lead.phone = ""
    lead.email = (lead.email or "").strip().lower()


def _record_assignment(
    *, lead: Lead, from_user: User | None, to_user: User | None, by: User | None, rule=None, reason: str = ""
) -> LeadAssignment:
    assignment = LeadAssignment(
        lead=lead, from_user=from_user, to_user=to_user, assigned_by=by, rule=rule, reason=reason[:200]
    )
    assignment.full_clean()
    assignment.save()
    if to_user is not None and to_user != by:
        notification_create(
            recipient=to_user,
            title=_("New lead for you: %(name)s") % {"name": lead.name},
            body=lead.company or lead.interest[:200],
            url=lead.get_absolute_url(),
            dedupe_key=f"lead-assignment-{assignment.pk}",
        )
    return assignment


@transaction.atomic
def lead_create(*, created_by: User | None, channel: str, **fields) -> Lead:
    """Capture a lead: normalise its phone (E.164, Persian digits accepted) and email, score it,
    and give it an owner: the ``owner`` passed, else the assignment rules, else (for a lead a
    member of staff entered) its creator. A lead from the web form that no rule matches stays
    unassigned. The hand-over is recorded and the new owner notified."""
    lead = Lead(channel=channel, created_by=created_by)
    _apply_fields(lead, fields)
    if not lead.phone and not lead.email and channel == Lead.Channel.WEB_FORM:
        raise ValidationError(_("Leave a phone number or an email address."))
    lead.score = lead_score(lead=lead)
    owner, rule, reason = lead.owner, None, ""
    if owner is not None:
        reason = _("Chosen when the lead was entered")
    else:
        owner, rule = assignment_pick(lead=lead)
        reason = _("Rule: %(name)s") % {"name": rule.name} if owner and rule else ""
    if owner is None and created_by is not None:
        owner, reason = created_by, _("Entered by staff")
    lead.owner = owner
    lead.assignment_rule = rule if owner is not None else None
    if lead.team_id is None and owner is not None:
        lead.team_id = rule.team_id if rule is not None and rule.team_id else owner.team_id
    lead.full_clean()
    lead.save()
    if owner is not None:
        _record_assignment(
            lead=lead, from_user=None, to_user=owner, by=created_by, rule=lead.assignment_rule, reason=reason
        )
    elif lead.team_id is None and channel == Lead.Channel.WEB_FORM:
        _notify_unassigned(lead=lead)
    announce(
        Event.LEAD_CREATED,
        customer_id=lead.customer_id,
        key=f"lead:{lead.pk}",
        source=lead,
        channel=lead.channel,
        campaign=lead.campaign,
    )
    return lead


def _notify_unassigned(*, lead: Lead) -> None:
    """A web lead no rule matched belongs to nobody: tell the managers, who see such leads and can
    hand them over, so that it is not left waiting unseen."""
    managers = User.objects.filter(is_active=True, groups__name=Role.MANAGER.value).distinct()
    for manager in managers:
        notification_create(
            recipient=manager,
            title=_("Unassigned lead from the contact form: %(name)s") % {"name": lead.name},
            body=lead.company or lead.interest[:200],
            url=lead.get_absolute_url(),
            dedupe_key=f"lead-unassigned-{lead.pk}-{manager.pk}",
        )


@transaction.atomic
def lead_update(*, lead: Lead, **fields) -> Lead:
    """Change a lead's details (not its owner: see ``lead_reassign``) and rescore it."""
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError(_("A converted lead can no longer be changed."))
    fields.pop("owner", None)
    _apply_fields(lead, fields)
    lead.score = lead_score(lead=lead)
    lead.full_clean()
    lead.save()
    return lead


@transaction.atomic
def lead_assign_auto(*, lead: Lead) -> User | None:
    """Give ``lead`` the owner its assignment rules pick (rules in priority order; round-robin
    is race-safe). No matching rule leaves the lead as it is and returns None."""
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError(_("A converted lead cannot be reassigned."))
    owner, rule = assignment_pick(lead=lead)
    if owner is None:
        return None
    previous = lead.owner
    lead.owner = owner
    lead.assignment_rule = rule
    lead.team_id = rule.team_id or owner.team_id
    lead.save(update_fields=["owner", "team", "assignment_rule", "updated_at"])
    _record_assignment(
        lead=lead,
        from_user=previous,
        to_user=owner,
        by=None,
        rule=rule,
        reason=_("Rule: %(name)s") % {"name": rule.name},
    )
    return owner


@transaction.atomic
def lead_reassign(*, lead: Lead, to_user: User, by: User, reason: str = "") -> LeadAssignment:
    """Hand the lead to ``to_user`` (filed under their team), keeping the history."""
    if not to_user.is_active:
        raise ValidationError({"to_user": _("This user is no longer active.")})
    if lead.owner_id == to_user.pk:
        raise ValidationError({"to_user": _("The lead already belongs to %(name)s.") % {"name": to_user}})
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError(_("A converted lead cannot be reassigned."))
    previous = lead.owner
    lead.owner = to_user
    lead.team_id = to_user.team_id
    lead.assignment_rule = None
    lead.save(update_fields=["owner", "team", "assignment_rule", "updated_at"])
    return _record_assignment(lead=lead, from_user=previous, to_user=to_user, by=by, reason=reason.strip())


# --- status ----------------------------------------------------------------------------------


def _locked(lead: Lead) -> Lead:
    """The lead re-read under a row lock: two clicks on one button change it once."""
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _require_status(lead: Lead, allowed, message: str) -> None:
    if lead.status not in allowed:
        raise ValidationError(message)


@transaction.atomic
def lead_mark_contacted(*, lead: Lead, by: User) -> Lead:
    fresh = _locked(lead)
    _require_status(fresh, OPEN_STATUSES, _("Only an open lead can be marked as contacted."))
    fresh.last_contacted_at = timezone.now()
    if fresh.status == Lead.Status.NEW:
        fresh.status = Lead.Status.CONTACTED
    fresh.save(update_fields=["status", "last_contacted_at", "updated_at"])
    return fresh


@transaction.atomic
def lead_qualify(*, lead: Lead, by: User) -> Lead:
    fresh = _locked(lead)
    _require_status(
        fresh, (Lead.Status.NEW, Lead.Status.CONTACTED), _("Only a new or contacted lead can be qualified.")
    )
    fresh.status = Lead.Status.QUALIFIED
    fresh.save(update_fields=["status", "updated_at"])
    return fresh


@transaction.atomic
def lead_disqualify(*, lead: Lead, reason: DisqualifyReason | None, by: User) -> Lead:
    """Close the lead as not worth pursuing, for a reason from the managed list."""
    if reason is None or not reason.is_active:
        raise ValidationError({"reason": _("Choose why the lead is disqualified.")})
    fresh = _locked(lead)
    _require_status(fresh, OPEN_STATUSES, _("Only an open lead can be disqualified."))
    fresh.status = Lead.Status.DISQUALIFIED
    fresh.disqualify_reason = reason
    fresh.save(update_fields=["status", "disqualify_reason", "updated_at"])
    return fresh


@transaction.atomic
def lead_reopen(*, lead: Lead, by: User) -> Lead:
    """Undo a disqualification: the lead is open again (as contacted if it ever was)."""
    fresh = _locked(lead)
    _require_status(fresh, (Lead.Status.DISQUALIFIED,), _("Only a disqualified lead can be reopened."))
    fresh.status = Lead.Status.CONTACTED if fresh.last_contacted_at else Lead.Status.NEW
    fresh.disqualify_reason = None
    fresh.save(update_fields=["status", "disqualify_reason", "updated_at"])
    return fresh


# --- conversion ------------------------------------------------------------------------------


def lead_duplicate_candidates(*, lead: Lead) -> list:
    """Existing customers that look like the lead (same phone or email, similar name in the same
    city), as customers.duplicates.DuplicateCandidate rows; every customer is considered."""
    return find_duplicates(
        name=lead.name,
        city=lead.city,
        phones=[lead.phone] if lead.phone else [],
        emails=[lead.email] if lead.email else [],
    )


def _customer_from_lead(*, lead: Lead, by: User) -> Customer:
    notes = _("Company: %(company)s") % {"company": lead.company} if lead.company else ""
    return customer_create(
        created_by=by,
        kind=Customer.Kind.PERSON,
        name=lead.name,
        job_title=lead.job_title,
        province=lead.province,
        city=lead.city,
        source=lead.source,
        owner=lead.owner or by,
        team=lead.team or (lead.owner or by).team,
        notes=notes,
        phones=[lead.phone] if lead.phone else [],
        emails=[lead.email] if lead.email else [],
    )


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    customer: Customer | None = None,
    opportunity_name: str | None = None,
    amount: Decimal | None = None,
    pipeline: Pipeline | None = None,
    allow_duplicate: bool = False,
) -> Opportunity:
    """Turn a contacted or qualified lead into business, all or nothing: link ``customer`` (or
    create one from the lead, unless it looks like an existing customer and ``allow_duplicate``
    is not set), open an opportunity for the lead's owner, and mark the lead converted."""
    fresh = _locked(lead)
    _require_status(fresh, CONVERTIBLE_STATUSES, _("Only a qualified or contacted lead can be converted."))
    if customer is None:
        duplicates = lead_duplicate_candidates(lead=fresh)
        if duplicates and not allow_duplicate:
            # No names: the matches may be customers the user is not allowed to see.
            raise ValidationError(
                {
                    "customer": _(
                        "This lead looks like an existing customer: pick it, or confirm that a new customer is needed."
                    )
                }
            )
        customer = _customer_from_lead(lead=fresh, by=by)
    owner = fresh.owner or by
    opportunity = opportunity_create(
        customer=customer,
        name=(opportunity_name or "").strip() or fresh.company or fresh.name,
        created_by=by,
        owner=owner,
        pipeline=pipeline,
        amount=amount if amount is not None else (fresh.estimated_value or Decimal(0)),
        source=fresh.source,
        description=fresh.interest,
    )
    fresh.status = Lead.Status.CONVERTED
    fresh.customer = customer
    fresh.opportunity = opportunity
    fresh.converted_at = timezone.now()
    fresh.full_clean()
    fresh.save()
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.SYSTEM,
        user=by,
        subject=_("Lead %(name)s converted: %(opportunity)s") % {"name": fresh.name, "opportunity": opportunity.name},
        body=fresh.interest,
        source=fresh,
        url=opportunity.get_absolute_url(),
    )
    return opportunity


def open_leads_with_contact(*, phone: str, email: str):
    """Open leads with the same phone or email (the public form's duplicate check)."""
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone=phone)
    if email:
        condition |= Q(email=email)
    return Lead.objects.filter(condition, status__in=OPEN_STATUSES)


def _clean_contact(*, phone: str, email: str) -> tuple[str, str]:
    scratch = Lead(phone=phone, email=email)
    _apply_fields(scratch, {})
    return scratch.phone, scratch.email


@transaction.atomic
def lead_capture_web(
    *,
    name: str,
    phone: str = "",
    email: str = "",
    company: str = "",
    interest: str = "",
    source=None,
    campaign: str = "",
) -> Lead:
    """A lead from the public contact form. Someone who writes again while their lead is still
    open adds the new message to that lead (and its owner hears of it) instead of a second lead."""
    phone, email = _clean_contact(phone=phone, email=email)
    if not phone and not email:
        raise ValidationError(_("Leave a phone number or an email address."))
    existing = open_leads_with_contact(phone=phone, email=email).select_for_update().order_by("-created_at").first()
    if existing is None:
        return lead_create(
            created_by=None,
            channel=Lead.Channel.WEB_FORM,
            name=name,
            phone=phone,
            email=email,
            company=company,
            interest=interest,
            source=source,
            campaign=campaign,
        )
    now = timezone.now()
    message = (interest or "").strip() or _("(no message)")
    stamp = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
    existing.notes = f"{existing.notes}\n\n{_('Wrote again on %(when)s:') % {'when': stamp}}\n{message}".strip()
    existing.save(update_fields=["notes", "updated_at"])
    if existing.owner is not None:
        notification_create(
            recipient=existing.owner,
            title=_("%(name)s wrote again through the contact form") % {"name": existing.name},
            body=message[:500],
            url=existing.get_absolute_url(),
            # One a lead an hour: the form cannot be used to flood the owner's notifications.
            dedupe_key=f"lead-web-again-{existing.pk}-{now.astimezone(UTC):%Y%m%d%H}",
        )
    return existing
