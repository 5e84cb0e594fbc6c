"""Writes of activities: schedule, edit, complete (with the timeline entry and a follow-up), cancel,
and the reminder job that sends each due reminder exactly once."""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm_site.access import Action, Scope, record_scope
from crm_site.messaging.services import OutgoingMessage, messages_enqueue_many
from crm_site.models import Channel, Notification, User
from customers.models import Customer, Interaction
from customers.services import interaction_record
from sales.models import Activity, Lead, Opportunity
from sales.selectors.activities import assignable_users
from sales.services.lead_rules import lead_rescore

logger = logging.getLogger(__name__)

# A reminder set a moment in the past (the form has minute precision) still counts as "now".
REMINDER_GRACE = timedelta(minutes=2)
EDITABLE_FIELDS = ("kind", "subject", "notes", "due_at", "remind_at", "assignee", "customer", "lead", "opportunity")


def _check_assignee(*, by: User, assignee: User) -> None:
    if record_scope(by, "sales", Action.CHANGE) == Scope.NONE:
        raise ValidationError(_("You may not schedule activities."))
    if not assignable_users(user=by).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("You may not give activities to %(user)s.") % {"user": assignee}})


def _fill_subject_records(activity: Activity) -> None:
    """At least one record; the customer follows from the opportunity or a converted lead, and
    records that contradict each other are refused."""
    if not (activity.customer_id or activity.lead_id or activity.opportunity_id):
        raise ValidationError(_("Say what the activity is about: a customer, a lead or an opportunity."))
    implied = activity.opportunity.customer_id if activity.opportunity_id else None
    if implied is None and activity.lead_id:
        implied = activity.lead.customer_id
    if implied is not None:
        if activity.customer_id and activity.customer_id != implied:
            source = "opportunity" if activity.opportunity_id else "lead"
            raise ValidationError(
                {"customer": _("This customer is not the one of the %(source)s.") % {"source": source}}
            )
        activity.customer_id = implied
    if (
        activity.opportunity_id
        and activity.lead_id
        and activity.lead.opportunity_id not in (None, activity.opportunity_id)
    ):
        raise ValidationError({"lead": _("This lead led to another opportunity.")})


def _check_times(activity: Activity, *, remind_changed: bool, now: datetime) -> None:
    if activity.remind_at is None:
        return
    if activity.remind_at > activity.due_at:
        raise ValidationError({"remind_at": _("The reminder must come before the activity is due, not after.")})
    if remind_changed and activity.remind_at < now - REMINDER_GRACE:
        raise ValidationError({"remind_at": _("This reminder time has already passed; choose a later one.")})


@transaction.atomic
def activity_create(
    *,
    created_by: User,
    assignee: User,
    kind: str,
    subject: str,
    due_at: datetime,
    customer: Customer | None = None,
    lead: Lead | None = None,
    opportunity: Opportunity | None = None,
    remind_at: datetime | None = None,
    notes: str = "",
    follow_up_of: Activity | None = None,
) -> Activity:
    """Schedule a call, meeting or task for ``assignee`` (the creator, or for a manager someone of
    their team) about a customer, a lead and/or an opportunity."""
    _check_assignee(by=created_by, assignee=assignee)
    activity = Activity(
        created_by=created_by,
        assignee=assignee,
        kind=kind,
        subject=subject.strip(),
        notes=notes.strip(),
        due_at=due_at,
        remind_at=remind_at,
        customer=customer,
        lead=lead,
        opportunity=opportunity,
        follow_up_of=follow_up_of,
    )
    _fill_subject_records(activity)
    _check_times(activity, remind_changed=remind_at is not None, now=timezone.now())
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, by: User, **changes) -> Activity:
    """Edit an open activity. A new reminder time re-arms a reminder that was already sent."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"activity_update() got unexpected fields: {', '.join(sorted(unknown))}")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != Activity.Status.OPEN:
        raise ValidationError(_("Only an open activity can be edited."))
    old_remind_at, old_assignee_id = activity.remind_at, activity.assignee_id
    for field, value in changes.items():
        setattr(activity, field, value.strip() if field in ("subject", "notes") else value)
    if activity.assignee_id != old_assignee_id:
        _check_assignee(by=by, assignee=activity.assignee)
    _fill_subject_records(activity)
    remind_changed = activity.remind_at != old_remind_at
    _check_times(activity, remind_changed=remind_changed, now=timezone.now())
    if remind_changed:
        activity.reminder_sent_at = None
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def activity_complete(
    *,
    activity: Activity,
    by: User,
    outcome: str = "",
    direction: str = "",
    duration_seconds: int | None = None,
    notes: str = "",
    follow_up: dict | None = None,
) -> Activity:
    """Mark an open activity done. A call or meeting on a customer goes on their timeline, the
    opportunity and lead count as touched, and an optional follow-up (``subject``, ``due_at``,
    ``remind_at``, ``kind``) is scheduled for the same assignee in the same transaction."""
    now = timezone.now()
    is_contact = activity.kind in (Activity.Kind.CALL, Activity.Kind.MEETING)
    # Check the input before claiming the activity, so that bad input writes nothing.
    if not is_contact:
        outcome, direction, duration_seconds = "", "", None
    elif activity.kind == Activity.Kind.MEETING:
        outcome = ""
    probe = Activity(
        kind=activity.kind, subject=activity.subject, due_at=activity.due_at, assignee_id=activity.assignee_id
    )
    probe.outcome, probe.direction, probe.duration_seconds = outcome, direction, duration_seconds
    probe.full_clean(exclude=["assignee", "customer", "lead", "opportunity", "follow_up_of"])
    # The conditional update decides who completes it: a second submit (or a race) changes nothing.
    claimed = Activity.objects.filter(pk=activity.pk, status=Activity.Status.OPEN).update(
        status=Activity.Status.DONE,
        done_at=now,
        outcome=outcome,
        direction=direction,
        duration_seconds=duration_seconds,
    )
    if not claimed:
        raise ValidationError(_("This activity is no longer open: it was already completed or cancelled."))
    activity = Activity.objects.select_related("customer", "lead", "opportunity").get(pk=activity.pk)
    if notes.strip():
        activity.notes = f"{activity.notes}\n\n{notes.strip()}".strip()
        activity.save(update_fields=["notes", "updated_at"])
    if is_contact and activity.customer_id:
        activity.interaction = interaction_record(
            customer=activity.customer,
            kind=Interaction.Kind.CALL if activity.kind == Activity.Kind.CALL else Interaction.Kind.MEETING,
            user=by,
            occurred_at=now,
            subject=activity.subject,
            body=notes.strip(),
            direction=direction,
            duration_seconds=duration_seconds,
            outcome=outcome,
            source=activity,
        )
        activity.save(update_fields=["interaction", "updated_at"])
    if activity.opportunity_id:
        Opportunity.objects.filter(pk=activity.opportunity_id).update(last_activity_at=now)
    if activity.lead_id and is_contact:
        Lead.objects.filter(pk=activity.lead_id).update(last_contacted_at=now)
        Lead.objects.filter(pk=activity.lead_id, status=Lead.Status.NEW).update(status=Lead.Status.CONTACTED)
    if activity.lead_id:
        # Logged contacts count towards the lead's score ("engagement").
        lead_rescore(lead=Lead.objects.get(pk=activity.lead_id))
    if follow_up:
        _schedule_follow_up(activity=activity, by=by, follow_up=follow_up)
    return activity


def _schedule_follow_up(*, activity: Activity, by: User, follow_up: dict) -> Activity:
    try:
        return activity_create(
            created_by=by,
            assignee=activity.assignee,
            kind=follow_up.get("kind") or activity.kind,
            subject=follow_up.get("subject") or _("Follow-up: %(subject)s") % {"subject": activity.subject},
            due_at=follow_up["due_at"],
            remind_at=follow_up.get("remind_at"),
            customer=activity.customer,
            lead=activity.lead,
            opportunity=activity.opportunity,
            follow_up_of=activity,
        )
    except ValidationError as error:
        # The form shows the follow-up's fields under their own names.
        if hasattr(error, "error_dict"):
            raise ValidationError({f"follow_up_{key}": value for key, value in error.error_dict.items()}) from error
        raise


@transaction.atomic
def activity_cancel(*, activity: Activity, by: User) -> Activity:
    """Cancel an open activity; its reminder, if not sent yet, will not be."""
    cancelled = Activity.objects.filter(pk=activity.pk, status=Activity.Status.OPEN).update(
        status=Activity.Status.CANCELLED, updated_at=timezone.now()
    )
    if not cancelled:
        raise ValidationError(_("This activity is no longer open: it was already completed or cancelled."))
    return Activity.objects.get(pk=activity.pk)


@transaction.atomic
def user_reminder_channels_set(*, user: User, by_email: bool, by_sms: bool) -> User:
    """Choose whether reminders also arrive by email and/or SMS (they always arrive in the app)."""
    if by_email and not user.email:
        raise ValidationError({"remind_by_email": _("Your account has no email address; ask an admin to add one.")})
    if by_sms and not user.phone:
        raise ValidationError({"remind_by_sms": _("Your account has no mobile number; ask an admin to add one.")})
    user.remind_by_email, user.remind_by_sms = by_email, by_sms
    user.save(update_fields=["remind_by_email", "remind_by_sms"])
    return user


# --- the reminder job --------------------------------------------------------------------------


def reminders_send_due(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Send every reminder due at ``now``: an in-app notification, plus an email and/or SMS when
    the assignee asked for them. Returns how many reminders this call sent.

    Exactly once, however many workers run it: each batch is claimed by a conditional UPDATE of
    ``reminder_sent_at`` in the same transaction that writes the notifications and outbox rows,
    so a crash rolls the claim back with them and the next run sends the batch again."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            batch = _claim_reminders(now=now, limit=batch_size)
            _deliver_reminders(batch)
        sent += len(batch)
        if len(batch) < batch_size:
            return sent


def _claim_reminders(*, now: datetime, limit: int) -> list[Activity]:
    """Take up to ``limit`` due reminders (call inside a transaction). On PostgreSQL other workers
    skip the locked rows; on SQLite the IMMEDIATE transaction makes claims run one after another."""
    ids = list(
        Activity.objects.select_for_update(skip_locked=True)
        .filter(status=Activity.Status.OPEN, reminder_sent_at__isnull=True, remind_at__lte=now)
        .order_by("remind_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return []
    claimed_at = timezone.now()
    Activity.objects.filter(pk__in=ids, status=Activity.Status.OPEN, reminder_sent_at__isnull=True).update(
        reminder_sent_at=claimed_at
    )
    return list(
        Activity.objects.filter(pk__in=ids, reminder_sent_at=claimed_at)
        .select_related("assignee", "customer", "lead", "opportunity")
        .order_by("remind_at", "id")
    )


def _reminder_text(activity: Activity) -> tuple[str, str]:
    about = activity.customer or activity.opportunity or activity.lead
    due = formats.date_format(timezone.localtime(activity.due_at), "SHORT_DATETIME_FORMAT")
    title = _("Reminder: %(subject)s") % {"subject": activity.subject}
    body = _("%(kind)s due %(due)s") % {"kind": activity.get_kind_display(), "due": due}
    if about is not None:
        body = _("%(what)s, about %(about)s") % {"what": body, "about": about}
    return title, body


def _deliver_reminders(batch: list[Activity]) -> None:
    notifications, copies = [], []
    for activity in batch:
        key = f"activity-reminder:{activity.pk}:{activity.remind_at.isoformat()}"
        title, body = _reminder_text(activity)
        url = reverse("sales:activity_detail", args=[activity.pk])
        notifications.append(
            Notification(recipient_id=activity.assignee_id, title=title[:200], body=body, url=url, dedupe_key=key)
        )
        assignee = activity.assignee
        if assignee.remind_by_email and assignee.email:
            copies.append((activity, Channel.EMAIL, assignee.email, f"{key}:email", title, body))
        if assignee.remind_by_sms and assignee.phone:
            copies.append((activity, Channel.SMS, assignee.phone, f"{key}:sms", "", f"{title}\n{body}"))
    # One statement per batch; a notification already written for this reminder is kept.
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    _enqueue_copies(copies)


def _enqueue_copies(copies: list[tuple]) -> None:
    """The email/SMS copies of a batch, written to the outbox in one statement."""
    messages_enqueue_many(
        OutgoingMessage(
            channel=channel, recipient=recipient, body=body, idempotency_key=key, subject=subject, concerning=activity
        )
        for activity, channel, recipient, key, subject, body in copies
    )
