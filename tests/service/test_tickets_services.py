"""Ticket services: intake, the status workflow with the SLA clock, replies and notes,
transfers and their flag, edits and attachment validation."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from crm_site.access import Role
from crm_site.models import Notification, OutboxMessage
from customers.models import Interaction
from service import business_hours
from service.models import ServiceSettings, Ticket, TicketAttachment, TicketEvent, TicketMessage, TicketTransfer
from service.services.sla import business_calendar
from service.services.ticket_attachments import attachment_validate
from service.services.tickets import (
    ticket_create,
    ticket_note,
    ticket_reply,
    ticket_set_status,
    ticket_transfer,
    ticket_update,
)
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import category, policy

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
S = Ticket.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=TEHRAN)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def team(db):
    boss = UserFactory(username="service_boss", role=Role.MANAGER)
    team = TeamFactory(name="Service", manager=boss)
    boss.team = team
    boss.save()
    return team


@pytest.fixture
def owner(team):
    return UserFactory(username="agent_a", role=Role.SERVICE_AGENT, team=team)


@pytest.fixture
def colleague(team):
    return UserFactory(username="agent_b", role=Role.SERVICE_AGENT, team=team)


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Sara Ahmadi", phones=["+989121234567"])


def new_ticket(customer, owner, **kwargs) -> Ticket:
    fields = {"subject": "Washing machine leaks", "kind": Ticket.Kind.COMPLAINT, "channel": Ticket.Channel.PHONE}
    fields.update(kwargs)
    return ticket_create(customer=customer, owner=owner, created_by=owner, **fields)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- intake -------------------------------------------------------------------------------------


@time_machine.travel(at(6, 15), tick=False)
def test_create_numbers_the_ticket_gives_deadlines_and_records_history_and_timeline(customer, owner):
    first = new_ticket(customer, owner, priority=Ticket.Priority.NORMAL, category=category("Repairs"))
    second = new_ticket(customer, owner)

    assert (first.number, second.number) == ("T-000001", "T-000002")
    assert len(first.public_token) >= 32 and first.public_token != second.public_token
    assert first.status == S.NEW and first.owner == owner and first.team == owner.team
    assert first.sla_policy == policy("Normal") and first.first_response_due_at == at(7, 11)
    assert list(first.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED, TicketEvent.Kind.ASSIGNED]
    entry = Interaction.objects.get(customer=customer, kind=Interaction.Kind.TICKET, object_id=str(first.pk))
    assert "T-000001" in entry.subject and entry.url == f"/service/tickets/{first.pk}/"
    assert "washing" in Ticket.objects.get(pk=first.pk).search_text


def test_create_without_owner_asks_the_assignment_rules(customer, owner):
    from service.models import AssignmentRule

    rule = AssignmentRule.objects.create(name="Everything to A", method=AssignmentRule.Method.FIXED)
    rule.users.add(owner)
    ticket = ticket_create(customer=customer, subject="No hot water", kind="request", channel="phone")
    assert ticket.owner == owner and ticket.assignment_rule == rule
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 1


def test_create_refuses_a_blank_subject_and_writes_nothing(customer, owner):
    with pytest.raises(ValidationError) as error:
        new_ticket(customer, owner, subject="   ")
    assert "subject" in error.value.message_dict
    assert not Ticket.objects.exists() and not Interaction.objects.filter(kind="ticket").exists()


# --- the workflow -------------------------------------------------------------------------------


def test_valid_transitions_record_events_and_timeline_entries(customer, owner):
    ticket = new_ticket(customer, owner)
    for status in (S.OPEN, S.WAITING_CONTRACTOR, S.OPEN, S.RESOLVED, S.CLOSED):
        ticket_set_status(ticket=ticket, status=status, by=owner)
        assert Ticket.objects.get(pk=ticket.pk).status == status
    ticket.refresh_from_db()
    assert ticket.resolved_at and ticket.closed_at
    assert ticket.events.filter(kind=TicketEvent.Kind.STATUS).count() == 5
    # Creation plus one entry per status change.
    assert Interaction.objects.filter(customer=customer, kind="ticket").count() == 6


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), S.CLOSED),  # new -> closed: resolve it first
        ((), S.NEW),  # already new
        ((S.OPEN,), S.NEW),  # never back to new
        ((S.OPEN,), S.CLOSED),
        ((S.OPEN, S.RESOLVED), S.WAITING_CUSTOMER),
        ((S.OPEN, S.RESOLVED, S.CLOSED), S.RESOLVED),
    ],
)
def test_nonsense_transitions_are_refused_with_a_message(customer, owner, path, refused):
    ticket = new_ticket(customer, owner)
    for status in path:
        ticket_set_status(ticket=ticket, status=status, by=owner)
    events = TicketEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        ticket_set_status(ticket=ticket, status=refused, by=owner)
    assert error.value.message_dict["status"]
    assert Ticket.objects.get(pk=ticket.pk).status == (path[-1] if path else S.NEW)
    assert TicketEvent.objects.count() == events


def test_resolving_sends_the_survey_and_reopening_counts(customer, owner):
    ticket = new_ticket(customer, owner)
    ticket_set_status(ticket=ticket, status=S.RESOLVED, by=owner)
    assert ticket.resolved_at is not None
    assert ticket.survey.customer == customer
    ticket_set_status(ticket=ticket, status=S.CLOSED, by=owner)
    ticket_set_status(ticket=ticket, status=S.OPEN, by=owner, note="Still leaking")
    ticket.refresh_from_db()
    assert ticket.reopened == 1 and ticket.resolved_at is None and ticket.closed_at is None
    assert ticket.events.filter(kind=TicketEvent.Kind.REOPENED, note="Still leaking").exists()


def test_waiting_on_the_customer_freezes_the_resolution_clock(customer, owner):
    with time_machine.travel(at(6, 15), tick=False):  # Wednesday 15:00
        ticket = new_ticket(customer, owner, priority=Ticket.Priority.NORMAL)
        assert ticket.resolution_due_at == at(11, 10)
    with time_machine.travel(at(6, 15, 30), tick=False):
        ticket_set_status(ticket=ticket, status=S.WAITING_CUSTOMER, by=owner)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at == at(6, 15, 30)
    left = timedelta(seconds=ticket.resolution_left_seconds)
    assert left == timedelta(hours=23, minutes=30)
    # Three days later (over the weekend) the customer answers: the clock goes on from where it stopped.
    with time_machine.travel(at(9, 10), tick=False):  # Saturday 10:00
        ticket_set_status(ticket=ticket, status=S.OPEN, by=owner)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is None and ticket.resolution_left_seconds is None
    calendar = business_calendar(ticket.sla_policy.calendar)
    assert business_hours.business_time_between(calendar, at(9, 10), ticket.resolution_due_at) == left
    assert ticket.resolution_due_at == at(12, 9, 30)  # Sat 6 h + Sun 8 h + Mon 8 h + Tue 1.5 h


# --- the conversation ---------------------------------------------------------------------------


def test_first_reply_sets_the_first_response_once_opens_the_ticket_and_texts_the_customer(customer, owner):
    ticket = new_ticket(customer, owner)
    with time_machine.travel(at(6, 15), tick=False):
        first = ticket_reply(ticket=ticket, body="We will send a technician.", by=owner)
    with time_machine.travel(at(6, 16), tick=False):
        ticket_reply(ticket=ticket, body="He comes tomorrow.", by=owner)
    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at == at(6, 15)
    assert ticket.status == S.OPEN
    sms = OutboxMessage.objects.filter(recipient="+989121234567").order_by("pk")
    assert [message.body for message in sms] == [
        f"Ticket {ticket.number}: We will send a technician.",
        f"Ticket {ticket.number}: He comes tomorrow.",
    ]
    assert {message.purpose for message in sms} == {"transactional"}
    assert Interaction.objects.filter(customer=customer, kind="ticket", direction="out").count() == 2


def test_a_note_is_internal(customer, owner):
    ticket = new_ticket(customer, owner)
    note = ticket_note(
        ticket=ticket, body="Customer is upset; handle gently.", by=owner, attachments=[upload("a.pdf", PDF)]
    )
    ticket.refresh_from_db()
    assert note.kind == TicketMessage.Kind.NOTE and ticket.first_response_at is None
    assert not OutboxMessage.objects.exists()
    assert TicketAttachment.objects.get().is_public is False
    assert ticket.events.filter(kind=TicketEvent.Kind.NOTE).exists()


def test_an_empty_reply_is_refused(customer, owner):
    ticket = new_ticket(customer, owner)
    with pytest.raises(ValidationError) as error:
        ticket_reply(ticket=ticket, body="  ", by=owner)
    assert error.value.message_dict["body"]
    assert not TicketMessage.objects.exists() and not OutboxMessage.objects.exists()


# --- attachments --------------------------------------------------------------------------------


def test_good_attachments_are_stored_with_the_reply(customer, owner):
    ticket = new_ticket(customer, owner)
    message = ticket_reply(
        ticket=ticket, body="See the manual.", by=owner, attachments=[upload("manual.pdf", PDF), upload("p.png", PNG)]
    )
    files = list(message.attachments.order_by("name"))
    assert [(f.name, f.content_type, f.is_public) for f in files] == [
        ("manual.pdf", "application/pdf", True),
        ("p.png", "image/png", True),
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("virus.exe", b"MZ\x90\x00", "not accepted"),
        ("photo.png", b"MZ\x90\x00 this is an executable", "not a real PNG"),
        ("report.docx", b"PK\x03\x04 not really a zip", "not a real Word"),
        ("notes.txt", b"\x00\x01\x02binary", "not a real text"),
        ("big.png", PNG + b"\x00" * (1024 * 1024), "larger than 1 MB"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_written(customer, owner, name, content, expected):
    ServiceSettings.objects.update_or_create(pk=1, defaults={"max_attachment_mb": 1})
    ticket = new_ticket(customer, owner)
    with pytest.raises(ValidationError) as error:
        ticket_reply(
            ticket=ticket, body="Here it is", by=owner, attachments=[upload("ok.pdf", PDF), upload(name, content)]
        )
    assert expected in " ".join(error.value.messages)
    assert not TicketMessage.objects.exists() and not TicketAttachment.objects.exists()
    assert not OutboxMessage.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_attachment_validate_accepts_the_listed_types():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    for name, content in [
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 10),
        ("a.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
        ("a.txt", "سلام، hello".encode()),
        ("a.xlsx", buffer.getvalue()),
    ]:
        attachment_validate(upload(name, content), max_mb=1)


# --- transfers and edits ------------------------------------------------------------------------


def test_transfers_are_counted_and_flagged_once_past_the_limit(customer, owner, colleague, team):
    ticket = new_ticket(customer, owner)
    people = [colleague, owner, colleague, owner]
    for number, to_user in enumerate(people, start=1):
        ticket_transfer(ticket=ticket, to_user=to_user, by=ticket.owner, reason=f"Round {number}")
        ticket.refresh_from_db()
        assert ticket.handoffs == number and ticket.owner == to_user
    # The default limit is 2: flagged on the third hand-over, and not again on the fourth.
    assert ticket.handoffs_flagged_at is not None
    flags = Notification.objects.filter(recipient=team.manager, dedupe_key=f"ticket-handoffs:{ticket.pk}")
    assert flags.count() == 1
    assert TicketTransfer.objects.filter(ticket=ticket).count() == 4
    assert ticket.events.filter(kind=TicketEvent.Kind.TRANSFERRED).count() == 4
    assert Notification.objects.filter(recipient=colleague, title__contains="handed over to you").count() == 2


def test_a_transfer_needs_a_reason_and_an_agent(customer, owner, colleague, rep):
    ticket = new_ticket(customer, owner)
    with pytest.raises(ValidationError) as error:
        ticket_transfer(ticket=ticket, to_user=colleague, by=owner, reason=" ")
    assert error.value.message_dict["reason"]
    with pytest.raises(ValidationError) as error:
        ticket_transfer(ticket=ticket, to_user=rep, by=owner, reason="Sales question")
    assert error.value.message_dict["to_user"]
    with pytest.raises(ValidationError):
        ticket_transfer(ticket=ticket, to_user=owner, by=owner, reason="To myself")
    ticket.refresh_from_db()
    assert ticket.handoffs == 0 and not TicketTransfer.objects.exists()


def test_raising_the_priority_moves_the_deadlines_and_is_recorded(customer, owner):
    with time_machine.travel(at(6, 15), tick=False):
        ticket = new_ticket(customer, owner, priority=Ticket.Priority.NORMAL)
    with time_machine.travel(at(6, 15, 20), tick=False):
        ticket_update(ticket=ticket, by=owner, priority=Ticket.Priority.URGENT, subject="Flooding the kitchen")
    ticket.refresh_from_db()
    assert ticket.sla_policy == policy("Urgent")
    assert ticket.first_response_due_at < at(7, 11)
    event = ticket.events.get(kind=TicketEvent.Kind.PRIORITY)
    assert (event.old_value, event.new_value) == ("Normal", "Urgent")
    assert "flooding" in ticket.search_text
