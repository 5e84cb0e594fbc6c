"""What an automation rule can do: the registry of action types.

Each action type has a label, the fields its configuration needs (the rule form's action editor
draws them from ``actions_spec()``), a check that cleans a configuration (``action_clean``) and
the function that runs it for one firing. A configuration is stored in ``AutomationRule.actions``
as ``{"type": <key>, <field>: <value>, ...}``.

A run function returns a short text saying what it did, or raises ``ActionSkipped`` when there
was nothing to do (no consent, no phone number, already on the list...). Any other exception is a
failure: the engine records it on the firing and carries on with the next action.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.events import CustomerEvent
from crm_site.messaging.services import message_enqueue
from crm_site.models import Channel, OutboxMessage, Purpose, User
from crm_site.services import notification_create
from customers.models import Customer, Tag
from marketing.models import AutomationRule, Campaign, RuleFiring, Segment
from marketing.services.campaigns import campaign_enrol
from marketing.services.segments import segment_members_add
from sales.models import Activity
from sales.services.aftersale import message_render, template_errors

PLACEHOLDERS = ("first_name", "name", "code")
MAX_ACTIONS = 10
TASK_HOUR = time(10, 0)
# Who a task or a notification goes to, besides a chosen user.
OWNER, TEAM_MANAGER = "owner", "team_manager"


class ActionSkipped(Exception):
    """The action had nothing to do for this customer; the text says why."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of an action's (or an event's) settings. ``kind`` is text, textarea, number,
    amount (a decimal kept as a string) or select; a select's ``choices`` are read when a form
    is drawn."""

    name: str
    label: Promise
    kind: str = "text"
    required: bool = True
    help: Promise | str = ""
    max_length: int = 500
    min_value: int | None = None
    max_value: int | None = None
    choices: Callable[[], list[tuple[str, str]]] | None = None

    def as_json(self) -> dict:
        data = {
            "name": self.name,
            "label": str(self.label),
            "kind": self.kind,
            "required": self.required,
            "help": str(self.help),
        }
        if self.kind == "select" and self.choices is not None:
            data["choices"] = [[str(value), str(label)] for value, label in self.choices()]
        if self.min_value is not None:
            data["min"] = self.min_value
        if self.max_value is not None:
            data["max"] = self.max_value
        return data


def field_clean(spec: FieldSpec, raw) -> object:
    """The cleaned value of one field (a string, an int, or "" when optional and empty)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            raise ValidationError(_("%(field)s: this field is required.") % {"field": spec.label})
        return ""
    if spec.kind == "amount":
        try:
            amount = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError(_("%(field)s: enter an amount.") % {"field": spec.label}) from None
        if not amount.is_finite() or amount < 0:
            raise ValidationError(_("%(field)s: enter an amount of zero or more.") % {"field": spec.label})
        return str(amount)
    if spec.kind == "number":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValidationError(_("%(field)s: enter a whole number.") % {"field": spec.label}) from None
        if spec.min_value is not None and value < spec.min_value:
            raise ValidationError(_("%(field)s: at least %(min)s.") % {"field": spec.label, "min": spec.min_value})
        if spec.max_value is not None and value > spec.max_value:
            raise ValidationError(_("%(field)s: at most %(max)s.") % {"field": spec.label, "max": spec.max_value})
        return value
    if not isinstance(raw, str | int):
        raise ValidationError(_("%(field)s: enter a text.") % {"field": spec.label})
    value = str(raw).strip()
    if len(value) > spec.max_length:
        raise ValidationError(
            _("%(field)s: at most %(max)s characters.") % {"field": spec.label, "max": spec.max_length}
        )
    if spec.kind == "select" and spec.choices is not None and value not in {str(c) for c, _label in spec.choices()}:
        raise ValidationError(_("%(field)s: choose one of the options.") % {"field": spec.label})
    return value


# --- what every action is given ------------------------------------------------------------------


@dataclass
class ActionContext:
    rule: AutomationRule
    firing: RuleFiring
    customer: Customer | None
    event: CustomerEvent
    index: int  # the action's position in the rule (1-based): part of the idempotency keys
    now: datetime
    link: str = ""  # the page of the record behind the event (or the customer's)

    @property
    def key(self) -> str:
        return f"rule:{self.rule.pk}:{self.firing.occurrence_key}:{self.index}"

    def need_customer(self) -> Customer:
        if self.customer is None:
            raise ActionSkipped(_("no customer"))
        return self.customer


def render_text(template: str, customer: Customer | None) -> str:
    """Fill {first_name}, {name} and {code} (the first name falls back to the name's first word)."""
    if customer is None:
        values = {}
    else:
        values = {"first_name": customer.greeting_name, "name": customer.name, "code": customer.code}
    return message_render(template=template, values=values)


def _check_placeholders(text: str) -> None:
    errors = template_errors(text=text, allowed=PLACEHOLDERS)
    if errors:
        raise ValidationError(errors)


# --- the choices of select fields ----------------------------------------------------------------


def _user_choices() -> list[tuple[str, str]]:
    users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return [(str(user.pk), user.get_full_name() or user.username) for user in users]


def _recipient_choices() -> list[tuple[str, str]]:
    return [
        (OWNER, str(gettext_lazy("The customer's owner"))),
        (TEAM_MANAGER, str(gettext_lazy("The manager of the customer's team"))),
        *_user_choices(),
    ]


def _list_choices() -> list[tuple[str, str]]:
    lists = Segment.objects.filter(kind=Segment.Kind.STATIC, is_active=True).order_by("name")
    return [(str(pk), name) for pk, name in lists.values_list("pk", "name")]


def _campaign_choices() -> list[tuple[str, str]]:
    campaigns = Campaign.objects.exclude(status=Campaign.Status.CANCELLED).order_by("name")
    return [
        (str(campaign.pk), f"{campaign.name} ({campaign.get_status_display()})")
        for campaign in campaigns.only("pk", "name", "status")
    ]


def _recipient(ctx: ActionContext, choice: str) -> User:
    """The user a task or notification goes to: a chosen user, the owner, or the team's manager."""
    if choice == OWNER:
        customer = ctx.need_customer()
        if customer.owner is None or not customer.owner.is_active:
            raise ActionSkipped(_("the customer has no owner"))
        return customer.owner
    if choice == TEAM_MANAGER:
        customer = ctx.need_customer()
        team = customer.team or (customer.owner.team if customer.owner else None)
        manager = team.manager if team is not None else None
        if manager is None or not manager.is_active:
            raise ActionSkipped(_("the customer's team has no manager"))
        return manager
    user = User.objects.filter(pk=choice, is_active=True).first()
    if user is None:
        raise ValueError(_("The chosen user no longer exists or is inactive."))
    return user


# --- the actions ---------------------------------------------------------------------------------


def _run_message(ctx: ActionContext, config: dict, *, channel: str) -> str:
    customer = ctx.need_customer()
    if channel == Channel.SMS:
        consent, address = customer.sms_consent, customer.phone
        missing = _("no phone number")
    else:
        consent, address = customer.email_consent, customer.email
        missing = _("no email address")
    if not consent:
        raise ActionSkipped(_("no consent"))
    if not address:
        raise ActionSkipped(missing)
    message = message_enqueue(
        channel=channel,
        recipient=address,
        subject=render_text(config.get("subject", ""), customer)[:200],
        body=render_text(config["body"], customer),
        idempotency_key=ctx.key,
        purpose=Purpose.MARKETING,
        concerning=ctx.firing,
    )
    if message.status == OutboxMessage.Status.SUPPRESSED:
        raise ActionSkipped(_("opted out"))
    return _("queued to %(address)s") % {"address": message.recipient}


def _clean_sms(config: dict) -> dict:
    _check_placeholders(config["body"])
    return config


def _clean_email(config: dict) -> dict:
    _check_placeholders(config["subject"])
    _check_placeholders(config["body"])
    return config


def _run_task(ctx: ActionContext, config: dict) -> str:
    customer = ctx.need_customer()
    assignee = _recipient(ctx, config.get("assignee") or OWNER)
    due_day = timezone.localtime(ctx.now).date() + timedelta(days=config.get("days") or 0)
    activity = Activity(
        kind=Activity.Kind.TASK,
        subject=render_text(config["subject"], customer)[:200],
        notes=_("Created by the automation rule “%(rule)s”.") % {"rule": ctx.rule.name},
        due_at=datetime.combine(due_day, TASK_HOUR, tzinfo=timezone.get_current_timezone()),
        assignee=assignee,
        customer=customer,
    )
    activity.full_clean()
    activity.save()
    return _("task for %(user)s due %(day)s") % {"user": assignee.get_full_name() or assignee, "day": due_day}


def _clean_task(config: dict) -> dict:
    _check_placeholders(config["subject"])
    return config


def _tag_name(config: dict) -> str:
    return " ".join(config["tag"].split())[:50]


def _run_add_tag(ctx: ActionContext, config: dict) -> str:
    customer = ctx.need_customer()
    tag, _created = Tag.objects.get_or_create(name=_tag_name(config))
    if customer.tags.filter(pk=tag.pk).exists():
        raise ActionSkipped(_("already tagged “%(tag)s”") % {"tag": tag.name})
    customer.tags.add(tag)
    return _("tagged “%(tag)s”") % {"tag": tag.name}


def _run_remove_tag(ctx: ActionContext, config: dict) -> str:
    customer = ctx.need_customer()
    tag = Tag.objects.filter(name=_tag_name(config)).first()
    if tag is None or not customer.tags.filter(pk=tag.pk).exists():
        raise ActionSkipped(_("not tagged “%(tag)s”") % {"tag": _tag_name(config)})
    customer.tags.remove(tag)
    return _("tag “%(tag)s” removed") % {"tag": tag.name}


def _run_add_to_list(ctx: ActionContext, config: dict) -> str:
    customer = ctx.need_customer()
    segment = Segment.objects.filter(pk=config["segment"], kind=Segment.Kind.STATIC).first()
    if segment is None:
        raise ValueError(_("The list no longer exists."))
    if not segment_members_add(segment=segment, customer_ids=[customer.pk]):
        raise ActionSkipped(_("already on the list “%(list)s”") % {"list": segment.name})
    return _("added to the list “%(list)s”") % {"list": segment.name}


def _run_enrol(ctx: ActionContext, config: dict) -> str:
    customer = ctx.need_customer()
    campaign = Campaign.objects.filter(pk=config["campaign"]).first()
    if campaign is None:
        raise ValueError(_("The campaign no longer exists."))
    if not campaign_enrol(campaign=campaign, customer_ids=[customer.pk], now=ctx.now):
        raise ActionSkipped(_("already in the campaign “%(campaign)s”") % {"campaign": campaign.name})
    return _("enrolled in “%(campaign)s”") % {"campaign": campaign.name}


def _run_notify(ctx: ActionContext, config: dict) -> str:
    recipient = _recipient(ctx, config["recipient"])
    title = render_text(config["title"], ctx.customer)
    about = ctx.customer.name if ctx.customer is not None else ""
    body = _("Automation rule “%(rule)s”. %(about)s") % {"rule": ctx.rule.name, "about": about}
    notification_create(recipient=recipient, title=title, body=body.strip(), url=ctx.link, dedupe_key=ctx.key)
    return _("notified %(user)s") % {"user": recipient.get_full_name() or recipient}


def _clean_notify(config: dict) -> dict:
    _check_placeholders(config["title"])
    return config


@dataclass(frozen=True)
class ActionType:
    key: str
    label: Promise
    icon: str
    fields: tuple[FieldSpec, ...]
    run: Callable[[ActionContext, dict], str]
    clean: Callable[[dict], dict] = field(default=lambda config: config)


_SMS_BODY = FieldSpec(
    "body",
    gettext_lazy("Message"),
    "textarea",
    max_length=1000,
    help=gettext_lazy("Placeholders: {first_name}, {name}, {code}."),
)
_RECIPIENT_HELP = gettext_lazy("The customer's owner, their team's manager, or a chosen user.")

ACTION_TYPES: dict[str, ActionType] = {
    action.key: action
    for action in [
        ActionType(
            "send_sms",
            gettext_lazy("Send an SMS"),
            "chat-text",
            (_SMS_BODY,),
            lambda ctx, config: _run_message(ctx, config, channel=Channel.SMS),
            _clean_sms,
        ),
        ActionType(
            "send_email",
            gettext_lazy("Send an email"),
            "envelope",
            (FieldSpec("subject", gettext_lazy("Subject"), max_length=200), _SMS_BODY),
            lambda ctx, config: _run_message(ctx, config, channel=Channel.EMAIL),
            _clean_email,
        ),
        ActionType(
            "create_task",
            gettext_lazy("Create a task"),
            "check2-square",
            (
                FieldSpec("subject", gettext_lazy("Task"), max_length=200),
                FieldSpec("days", gettext_lazy("Due in (days)"), "number", min_value=0, max_value=365),
                FieldSpec(
                    "assignee",
                    gettext_lazy("For"),
                    "select",
                    required=False,
                    choices=_recipient_choices,
                    help=_RECIPIENT_HELP,
                ),
            ),
            _run_task,
            _clean_task,
        ),
        ActionType(
            "add_tag",
            gettext_lazy("Add a tag"),
            "tag",
            (FieldSpec("tag", gettext_lazy("Tag"), max_length=50),),
            _run_add_tag,
        ),
        ActionType(
            "remove_tag",
            gettext_lazy("Remove a tag"),
            "x-circle",
            (FieldSpec("tag", gettext_lazy("Tag"), max_length=50),),
            _run_remove_tag,
        ),
        ActionType(
            "add_to_list",
            gettext_lazy("Add to a static list"),
            "list-check",
            (FieldSpec("segment", gettext_lazy("List"), "select", choices=_list_choices),),
            _run_add_to_list,
        ),
        ActionType(
            "enrol_campaign",
            gettext_lazy("Enrol in a campaign"),
            "megaphone",
            (FieldSpec("campaign", gettext_lazy("Campaign"), "select", choices=_campaign_choices),),
            _run_enrol,
        ),
        ActionType(
            "notify_user",
            gettext_lazy("Notify a user"),
            "bell",
            (
                FieldSpec("recipient", gettext_lazy("Who"), "select", choices=_recipient_choices, help=_RECIPIENT_HELP),
                FieldSpec(
                    "title",
                    gettext_lazy("Notification"),
                    max_length=200,
                    help=gettext_lazy("Placeholders: {first_name}, {name}, {code}."),
                ),
            ),
            _run_notify,
            _clean_notify,
        ),
    ]
}


def actions_spec() -> list[dict]:
    """The action types and their fields (with the current choices), for the form's editor."""
    return [
        {
            "type": action.key,
            "label": str(action.label),
            "icon": action.icon,
            "fields": [f.as_json() for f in action.fields],
        }
        for action in ACTION_TYPES.values()
    ]


def action_clean(raw) -> dict:
    """Check one action's configuration; returns it cleaned (only its type's fields)."""
    if not isinstance(raw, dict):
        raise ValidationError(_("Each action must be an object with a “type”."))
    action = ACTION_TYPES.get(str(raw.get("type", "")))
    if action is None:
        raise ValidationError(_("Unknown action “%(type)s”.") % {"type": raw.get("type", "")})
    config: dict = {"type": action.key}
    for spec in action.fields:
        config[spec.name] = field_clean(spec, raw.get(spec.name))
    return action.clean(config)


def actions_clean(raw) -> list[dict]:
    """Check a rule's list of actions (at least one, at most MAX_ACTIONS)."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError(_("Add at least one action."))
    if len(raw) > MAX_ACTIONS:
        raise ValidationError(_("A rule can have at most %(max)s actions.") % {"max": MAX_ACTIONS})
    cleaned, errors = [], []
    for position, item in enumerate(raw, start=1):
        try:
            cleaned.append(action_clean(item))
        except ValidationError as error:
            errors.extend(
                _("Action %(n)s: %(error)s") % {"n": position, "error": message} for message in error.messages
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def action_label(config: dict) -> str:
    action = ACTION_TYPES.get(config.get("type", ""))
    return str(action.label) if action else str(config.get("type", ""))


@dataclass
class Names:
    """Names of the users, lists and campaigns that actions refer to, read in one query each."""

    users: dict[str, str] = field(default_factory=dict)
    lists: dict[str, str] = field(default_factory=dict)
    campaigns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_actions(cls, action_lists: Iterable[list[dict]]) -> "Names":
        user_ids, list_ids, campaign_ids = set(), set(), set()
        for actions in action_lists:
            for config in actions:
                for key in ("assignee", "recipient"):
                    if str(config.get(key, "")).isdigit():
                        user_ids.add(int(config[key]))
                if str(config.get("segment", "")).isdigit():
                    list_ids.add(int(config["segment"]))
                if str(config.get("campaign", "")).isdigit():
                    campaign_ids.add(int(config["campaign"]))
        names = cls()
        if user_ids:
            names.users = {str(u.pk): u.get_full_name() or u.username for u in User.objects.filter(pk__in=user_ids)}
        if list_ids:
            names.lists = {
                str(pk): name for pk, name in Segment.objects.filter(pk__in=list_ids).values_list("pk", "name")
            }
        if campaign_ids:
            names.campaigns = {
                str(pk): name for pk, name in Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "name")
            }
        return names

    def recipient(self, value: str) -> str:
        if value in ("", OWNER):
            return _("the customer's owner")
        if value == TEAM_MANAGER:
            return _("the manager of the customer's team")
        return self.users.get(str(value), _("a removed user"))


def action_describe(config: dict, names: Names) -> str:
    """One action in words, for the rule's page and list."""
    kind = config.get("type")
    if kind == "send_sms":
        return _("Send the SMS “%(text)s”") % {"text": config.get("body", "")}
    if kind == "send_email":
        return _("Send the email “%(subject)s”") % {"subject": config.get("subject", "")}
    if kind == "create_task":
        return _("Create the task “%(task)s” for %(who)s, due in %(days)s day(s)") % {
            "task": config.get("subject", ""),
            "who": names.recipient(str(config.get("assignee", ""))),
            "days": config.get("days", 0),
        }
    if kind == "add_tag":
        return _("Add the tag “%(tag)s”") % {"tag": config.get("tag", "")}
    if kind == "remove_tag":
        return _("Remove the tag “%(tag)s”") % {"tag": config.get("tag", "")}
    if kind == "add_to_list":
        return _("Add to the list “%(list)s”") % {"list": names.lists.get(str(config.get("segment")), "?")}
    if kind == "enrol_campaign":
        return _("Enrol in the campaign “%(campaign)s”") % {
            "campaign": names.campaigns.get(str(config.get("campaign")), "?")
        }
    if kind == "notify_user":
        return _("Notify %(who)s: “%(title)s”") % {
            "who": names.recipient(str(config.get("recipient", ""))),
            "title": config.get("title", ""),
        }
    return action_label(config)
