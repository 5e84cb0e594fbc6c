"""Work orders, staff side: the services and the pages on a ticket."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm_site.models import Notification, OutboxMessage
from service.models import ContractorCompany, Ticket, TicketEvent, WorkOrder, WorkOrderUpdate
from service.services.work_orders import (
    PHOTO_MAX_BYTES,
    work_order_accept,
    work_order_cancel,
    work_order_decline,
    work_order_done,
    work_order_issue,
    work_order_note,
    work_order_start,
)
from tests.service.factories import category
from tests.service.test_work_orders_support import *  # noqa: F403  (the shared fixtures)
from tests.service.test_work_orders_support import JPEG, PNG, WEBP, make_contractor, make_ticket, photo

pytestmark = pytest.mark.django_db


def _counts():
    return (WorkOrder.objects.count(), WorkOrderUpdate.objects.count(), TicketEvent.objects.count())


# --- issuing ---------------------------------------------------------------------------------


def test_issue_copies_only_what_the_job_needs(ticket, worker, desk_agent):
    worker.phone = "+989351234567"
    worker.save()
    work_order = work_order_issue(ticket=ticket, contractor=worker, by=desk_agent, instructions=" Bring a seal. ")

    assert work_order.status == WorkOrder.Status.OFFERED
    assert work_order.subject == ticket.subject
    assert work_order.service_address.startswith("12 Valiasr St, unit 4, Vanak, Tehran")
    assert "1234567890" in work_order.service_address
    assert work_order.contact_name == ticket.customer.name
    assert work_order.contact_phone == "+989121111111"  # the primary phone only
    assert work_order.instructions == "Bring a seal."
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_CONTRACTOR
    assert ticket.events.filter(kind=TicketEvent.Kind.WORK_ORDER, old_value=str(worker)).count() == 1
    assert work_order.updates.get().status == WorkOrder.Status.OFFERED
    notice = Notification.objects.get(recipient=worker)
    assert notice.url == reverse("portal:work_order", args=[work_order.pk])
    assert OutboxMessage.objects.filter(recipient="+989351234567").count() == 1


def test_one_live_order_per_ticket_and_contractor(order, ticket, worker, desk_agent):
    before = _counts()
    with pytest.raises(ValidationError) as error:
        work_order_issue(ticket=ticket, contractor=worker, by=desk_agent)
    assert "already has a live work order" in str(error.value)
    assert _counts() == before
    # Once declined, the same contractor may be asked again.
    work_order_decline(work_order=order, by=worker, reason="Too far")
    again = work_order_issue(ticket=ticket, contractor=worker, by=desk_agent)
    assert again.pk != order.pk


@pytest.mark.parametrize("case", ["not_a_contractor", "inactive", "company_inactive", "no_profile"])
def test_issue_refuses_anyone_but_an_active_contractor(case, ticket, desk_agent, contractor, rep):
    if case == "not_a_contractor":
        target = make_contractor("staffer", role=None)
    elif case == "inactive":
        target = make_contractor("retired", active=False)
    elif case == "company_inactive":
        target = make_contractor("bankrupt", company="Gone Ltd")
        ContractorCompany.objects.filter(name="Gone Ltd").update(is_active=False)
    else:
        target = contractor  # in the Contractor role but with no profile
    before = _counts()
    with pytest.raises(ValidationError) as error:
        work_order_issue(ticket=ticket, contractor=target, by=desk_agent)
    assert "contractor" in error.value.message_dict
    assert _counts() == before
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_issue_refuses_a_resolved_ticket_and_a_customer_without_address(desk_agent, worker):
    resolved = make_ticket(desk_agent)
    Ticket.objects.filter(pk=resolved.pk).update(status=Ticket.Status.RESOLVED)
    with pytest.raises(ValidationError, match="resolved or closed"):
        work_order_issue(ticket=resolved, contractor=worker, by=desk_agent)
    homeless = make_ticket(desk_agent)
    homeless.customer.address = homeless.customer.city = homeless.customer.province = ""
    homeless.customer.save()
    with pytest.raises(ValidationError, match="no address"):
        work_order_issue(ticket=homeless, contractor=worker, by=desk_agent)
    assert not WorkOrder.objects.exists()


# --- the contractor's steps ------------------------------------------------------------------


def test_the_whole_job_reaches_the_ticket(order, ticket, worker, desk_agent, media):
    work_order_accept(work_order=order, by=worker)
    work_order_start(work_order=order, by=worker)
    work_order_note(work_order=order, by=worker, note="Seal replaced", photo=photo())
    work_order_done(work_order=order, by=worker, note="Fixed, tested for an hour")

    order.refresh_from_db()
    assert order.status == WorkOrder.Status.DONE
    assert order.accepted_at and order.done_at
    assert [u.status for u in order.updates.all()] == ["offered", "accepted", "in_progress", "", "done"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN  # back with its owner
    notes = list(ticket.events.filter(kind=TicketEvent.Kind.WORK_ORDER).values_list("note", flat=True))
    assert any("Seal replaced" in note and "photo" in note for note in notes)
    assert "Fixed, tested for an hour" in notes
    # The owner heard of each of the contractor's four steps, once each.
    assert Notification.objects.filter(recipient=desk_agent).count() == 4


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        ([], work_order_start, "Accept the work order"),
        ([], lambda **kw: work_order_done(note="x", **kw), "Only an accepted or running job"),
        ([], lambda **kw: work_order_note(note="x", **kw), "only while the job is accepted"),
        ([work_order_accept], work_order_accept, "Only an offered"),
        ([work_order_accept], lambda **kw: work_order_decline(reason="late", **kw), "Only an offered"),
        (
            [work_order_accept, lambda **kw: work_order_done(note="x", **kw)],
            lambda **kw: work_order_note(note="more", **kw),
            "only while the job is accepted",
        ),
    ],
)
def test_invalid_transitions_are_refused(order, worker, steps, action, message):
    for step in steps:
        step(work_order=order, by=worker)
    before = _counts()
    with pytest.raises(ValidationError, match=message):
        action(work_order=order, by=worker)
    assert _counts() == before


def test_a_contractor_cannot_act_on_someone_elses_order(order, other_worker):
    before = _counts()
    for action in (work_order_accept, work_order_start):
        with pytest.raises(ValidationError, match="not assigned to you"):
            action(work_order=order, by=other_worker)
    with pytest.raises(ValidationError, match="not assigned to you"):
        work_order_decline(work_order=order, by=other_worker, reason="Not mine")
    with pytest.raises(ValidationError, match="not assigned to you"):
        work_order_note(work_order=order, by=other_worker, note="hello")
    assert _counts() == before
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrder.Status.OFFERED


def test_decline_needs_a_reason_and_hands_the_ticket_back(order, ticket, worker):
    with pytest.raises(ValidationError) as error:
        work_order_decline(work_order=order, by=worker, reason="  ")
    assert "reason" in error.value.message_dict
    work_order_decline(work_order=order, by=worker, reason="No parts in stock")
    order.refresh_from_db()
    assert (order.status, order.decline_reason) == (WorkOrder.Status.DECLINED, "No parts in stock")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_ticket_waits_while_another_order_is_live(order, ticket, worker, other_worker, desk_agent):
    second = work_order_issue(ticket=ticket, contractor=other_worker, by=desk_agent)
    work_order_decline(work_order=order, by=worker, reason="Busy")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING_CONTRACTOR
    work_order_cancel(work_order=second, by=desk_agent)
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_only_staff_cancel_and_only_live_orders(order, worker, desk_agent):
    with pytest.raises(ValidationError, match="Only staff"):
        work_order_cancel(work_order=order, by=worker)
    work_order_cancel(work_order=order, by=desk_agent, reason="Customer fixed it")
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrder.Status.CANCELLED
    assert Notification.objects.filter(recipient=worker, title__startswith="Work order cancelled").exists()
    with pytest.raises(ValidationError, match="already finished"):
        work_order_cancel(work_order=order, by=desk_agent)
    with pytest.raises(ValidationError):
        work_order_accept(work_order=order, by=worker)


# --- photos ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leak.gif", b"GIF89a" + b"\x00" * 20, "JPEG, PNG or WebP"),
        ("leak.exe", PNG, "JPEG, PNG or WebP"),
        ("leak", PNG, "JPEG, PNG or WebP"),
        ("leak.png", b"MZ\x90\x00 not an image", "not the image its name says"),
        ("leak.jpg", PNG, "not the image its name says"),
        ("leak.webp", b"RIFF\x00\x00\x00\x00WAVE", "not the image its name says"),
        ("huge.png", PNG + b"\x00" * PHOTO_MAX_BYTES, "larger than 8 MB"),
    ],
)
def test_bad_photos_write_nothing(order, worker, media, name, content, message):
    work_order_accept(work_order=order, by=worker)
    before = _counts()
    with pytest.raises(ValidationError, match=message):
        work_order_note(work_order=order, by=worker, note="see photo", photo=photo(name, content))
    assert _counts() == before
    assert not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.parametrize(("name", "content"), [("a.jpg", JPEG), ("a.JPEG", JPEG), ("a.png", PNG), ("a.webp", WEBP)])
def test_good_photos_are_kept(order, worker, media, name, content):
    work_order_accept(work_order=order, by=worker)
    update = work_order_note(work_order=order, by=worker, photo=photo(name, content))
    assert update.photo.read() == content


# --- staff pages -----------------------------------------------------------------------------


def test_create_page_issues_an_order_for_the_tickets_owner(client_for, ticket, worker, desk_agent):
    client = client_for(desk_agent)
    url = reverse("service:work_order_create", args=[ticket.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert str(worker) in page.content.decode()
    response = client.post(
        url, {"contractor": worker.pk, "instructions": "Ring twice", "scheduled_for": "2026-12-20T10:30"}
    )
    assert response.status_code == 302
    work_order = WorkOrder.objects.get()
    assert (work_order.contractor, work_order.instructions) == (worker, "Ring twice")
    assert work_order.scheduled_for is not None and work_order.scheduled_for.tzinfo is not None


def test_create_page_bad_input_writes_nothing(client_for, ticket, worker, desk_agent, order):
    client = client_for(desk_agent)
    url = reverse("service:work_order_create", args=[ticket.pk])
    before = _counts()
    missing = client.post(url, {"contractor": "", "scheduled_for": "someday"})
    assert missing.status_code == 200
    assert missing.context["form"].errors.keys() == {"contractor", "scheduled_for"}
    duplicate = client.post(url, {"contractor": worker.pk})
    assert "already has a live work order" in str(duplicate.context["form"].errors["contractor"])
    assert _counts() == before


def test_create_page_offers_contractors_with_the_skill_the_category_needs(
    client_for, desk_agent, worker, other_worker, plumbing
):
    needs_plumbing = category("Installation")
    needs_plumbing.skill = plumbing
    needs_plumbing.save()
    ticket = make_ticket(desk_agent, category=needs_plumbing)
    client = client_for(desk_agent)
    url = reverse("service:work_order_create", args=[ticket.pk])
    offered = list(client.get(url).context["form"].fields["contractor"].queryset)
    assert offered == [worker]
    offered_any = list(client.get(url, {"skill": ""}).context["form"].fields["contractor"].queryset)
    assert set(offered_any) == {worker, other_worker}
    # A contractor outside the skill filter is refused even if posted by hand.
    response = client.post(url, {"contractor": other_worker.pk})
    assert "contractor" in response.context["form"].errors


def test_create_page_access(client_for, ticket, teammate, far_agent, rep, contractor, worker):
    url = reverse("service:work_order_create", args=[ticket.pk])
    assert client_for(teammate).get(url).status_code == 403  # sees the team's ticket, does not own it
    assert client_for(far_agent).get(url).status_code == 404
    assert client_for(rep).get(url).status_code == 403
    assert client_for(contractor).get(url).status_code == 403
    assert client_for(far_agent).post(url, {"contractor": worker.pk}).status_code == 404
    assert not WorkOrder.objects.exists()


def test_panel_shows_the_contractors_updates(client_for, order, ticket, worker, desk_agent, media):
    work_order_accept(work_order=order, by=worker)
    update = work_order_note(work_order=order, by=worker, note="Pipe was cracked", photo=photo())
    response = client_for(desk_agent).get(
        reverse("service:ticket_work_orders", args=[ticket.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pipe was cracked" in html
    assert reverse("service:work_order_photo", args=[update.pk]) in html
    assert reverse("service:work_order_cancel", args=[order.pk]) in html
    photo_response = client_for(desk_agent).get(reverse("service:work_order_photo", args=[update.pk]))
    assert photo_response.status_code == 200
    assert b"".join(photo_response.streaming_content) == PNG
    assert photo_response["Content-Type"] == "image/png"


def test_panel_access(client_for, order, ticket, teammate, far_agent, rep, worker, media):
    work_order_accept(work_order=order, by=worker)
    update = work_order_note(work_order=order, by=worker, photo=photo())
    panel = reverse("service:ticket_work_orders", args=[ticket.pk])
    photo_url = reverse("service:work_order_photo", args=[update.pk])
    team_view = client_for(teammate).get(panel)
    assert team_view.status_code == 200
    assert reverse("service:work_order_cancel", args=[order.pk]) not in team_view.content.decode()
    assert client_for(teammate).get(photo_url).status_code == 200
    for user, status in ((far_agent, 404), (rep, 403), (worker, 403)):
        assert client_for(user).get(panel).status_code == status
        assert client_for(user).get(photo_url).status_code == status


def test_panel_queries_are_constant(client_for, ticket, desk_agent, django_assert_max_num_queries):
    client = client_for(desk_agent)
    url = reverse("service:ticket_work_orders", args=[ticket.pk])

    def add_orders(count):
        for index in range(count):
            contractor = make_contractor(f"c{WorkOrder.objects.count()}-{index}", company=f"Co {index}")
            work_order = work_order_issue(ticket=ticket, contractor=contractor, by=desk_agent)
            work_order_accept(work_order=work_order, by=contractor)
            work_order_note(work_order=work_order, by=contractor, note="on my way")

    add_orders(1)
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(12) as one:
        assert client.get(url).status_code == 200
    add_orders(6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('id="work-order-') == 7


def test_cancel_from_the_panel(client_for, order, ticket, desk_agent, far_agent, worker):
    url = reverse("service:work_order_cancel", args=[order.pk])
    assert client_for(far_agent).post(url).status_code == 404
    assert client_for(worker).post(url).status_code == 403
    assert client_for(desk_agent).get(url).status_code == 405
    response = client_for(desk_agent).post(url, {"reason": "Duplicate"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="ticket-work-orders"' in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrder.Status.CANCELLED
    again = client_for(desk_agent).post(url, headers={"HX-Request": "true"})
    assert "already finished" in again.content.decode()
