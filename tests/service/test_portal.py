"""The contractor portal: a contractor sees and acts on their own work orders, and nothing else in
the CRM (every URL is walked)."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm_site.access import Role
from service.models import Ticket, TicketEvent, WorkOrder, WorkOrderUpdate
from service.services.work_orders import work_order_accept, work_order_issue, work_order_note
from tests.factories import NotificationFactory
from tests.sales.factories import ActivityFactory, LeadFactory, OpportunityFactory, OrderFactory, ProductFactory
from tests.service.test_work_orders_support import *  # noqa: F403  (the shared fixtures)
from tests.service.test_work_orders_support import make_ticket, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def rivals_order(desk_agent, other_worker, media):
    """Someone else's work order, with a photo, on another ticket."""
    work_order = work_order_issue(ticket=make_ticket(desk_agent), contractor=other_worker, by=desk_agent)
    work_order_accept(work_order=work_order, by=other_worker)
    work_order_note(work_order=work_order, by=other_worker, note="rival's note", photo=photo())
    return work_order


def _updates():
    return WorkOrderUpdate.objects.count(), TicketEvent.objects.count()


# --- the list --------------------------------------------------------------------------------


def test_index_lists_only_my_orders_open_first(client_for, worker, desk_agent, order, rivals_order):
    finished = work_order_issue(ticket=make_ticket(desk_agent), contractor=worker, by=desk_agent)
    work_order_accept(work_order=finished, by=worker)
    from service.services.work_orders import work_order_done

    work_order_done(work_order=finished, by=worker, note="ok")
    newer_open = work_order_issue(ticket=make_ticket(desk_agent), contractor=worker, by=desk_agent)

    response = client_for(worker).get(reverse("portal:index"))
    assert response.status_code == 200
    assert [wo.pk for wo in response.context["page_obj"]] == [newer_open.pk, order.pk, finished.pk]
    counts = {value: count for value, _label, count in response.context["statuses"]}
    assert counts["offered"] == 2 and counts["done"] == 1 and counts["accepted"] == 0
    assert response.context["total"] == 3
    html = response.content.decode()
    assert reverse("portal:work_order", args=[rivals_order.pk]) not in html
    only_done = client_for(worker).get(reverse("portal:index"), {"status": "done"})
    assert [wo.pk for wo in only_done.context["page_obj"]] == [finished.pk]


def test_navigation_shows_only_work_orders(client_for, worker):
    html = client_for(worker).get(reverse("portal:index")).content.decode()
    assert reverse("portal:index") in html
    for other in ("customers:index", "sales:index", "service:index", "notifications"):
        assert f'href="{reverse(other)}"' not in html


def test_staff_cannot_use_the_portal(client_for, desk_agent, manager, admin, order):
    for user in (desk_agent, manager):
        assert client_for(user).get(reverse("portal:index")).status_code == 403
        assert client_for(user).get(reverse("portal:work_order", args=[order.pk])).status_code == 403


def test_index_queries_are_constant(client_for, worker, desk_agent, django_assert_max_num_queries):
    client = client_for(worker)
    url = reverse("portal:index")
    work_order_issue(ticket=make_ticket(desk_agent), contractor=worker, by=desk_agent)
    client.get(url)
    with django_assert_max_num_queries(10) as one:
        client.get(url)
    for _ in range(8):
        work_order_issue(ticket=make_ticket(desk_agent), contractor=worker, by=desk_agent)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["page_obj"]) == 9


def test_index_is_paginated(client_for, worker, desk_agent):
    for _ in range(21):
        work_order_issue(ticket=make_ticket(desk_agent), contractor=worker, by=desk_agent)
    client = client_for(worker)
    assert len(client.get(reverse("portal:index")).context["page_obj"]) == 20
    assert len(client.get(reverse("portal:index"), {"page": 2}).context["page_obj"]) == 1


# --- one work order --------------------------------------------------------------------------


def test_work_order_page_shows_the_job_and_nothing_of_the_customers_file(client_for, worker, order, ticket):
    response = client_for(worker).get(reverse("portal:work_order", args=[order.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    customer = ticket.customer
    assert ticket.subject in html and "12 Valiasr St" in html and customer.name in html
    assert "+989121111111" in html and "Bring a 16mm seal." in html
    for secret in (
        "secret.customer@example.com",  # email
        "912 222 2222",  # the other phone, in any format
        "+989122222222",
        customer.code,
        ticket.number,
        "dog bites",  # the ticket's description
    ):
        assert secret not in html, secret
    for forbidden_link in ("/service/", "/customers/", "/sales/"):
        assert f'href="{forbidden_link}' not in html


def test_work_order_page_queries_are_constant(client_for, worker, order, media, django_assert_max_num_queries):
    client = client_for(worker)
    url = reverse("portal:work_order", args=[order.pk])
    work_order_accept(work_order=order, by=worker)
    client.get(url)
    with django_assert_max_num_queries(10) as one:
        client.get(url)
    for index in range(6):
        work_order_note(work_order=order, by=worker, note=f"note {index}", photo=photo())
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("note ") >= 6


def test_the_job_end_to_end_through_the_portal(client_for, worker, order, ticket, desk_agent, media):
    client = client_for(worker)

    def post(action, data=None, **extra):
        return client.post(reverse(f"portal:{action}", args=[order.pk]), data or {}, **extra)

    assert post("accept").status_code == 302
    assert post("start").status_code == 302
    response = post("note", {"note": "Seal replaced", "photo": photo("seal.jpg", b"\xff\xd8\xff\xe0" + b"0" * 32)})
    assert response.status_code == 302
    assert post("done", {"note": "All good"}).status_code == 302
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.DONE
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
    # Staff see the contractor's updates on the ticket.
    panel = client_for(desk_agent).get(reverse("service:ticket_work_orders", args=[ticket.pk])).content.decode()
    assert "Seal replaced" in panel and "All good" in panel
    # The contractor can open their own photo.
    update = order.updates.exclude(photo="").get()
    image = client_for(worker).get(reverse("portal:photo", args=[update.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_bad_input_on_the_portal_writes_nothing(client_for, worker, order, media):
    client = client_for(worker)
    before = _updates()
    decline = client.post(reverse("portal:decline", args=[order.pk]), {"reason": ""})
    assert decline.status_code == 400
    assert "reason" in decline.context["decline_form"].errors
    done_too_early = client.post(reverse("portal:done", args=[order.pk]), {"note": "done"})
    assert done_too_early.status_code == 400
    assert "accepted or running" in str(done_too_early.context["done_form"].non_field_errors())
    assert _updates() == before

    work_order_accept(work_order=order, by=worker)
    before = _updates()
    fake = client.post(reverse("portal:note", args=[order.pk]), {"note": "x", "photo": photo("virus.png", b"MZ..")})
    assert fake.status_code == 400
    assert "photo" in fake.context["note_form"].errors
    empty = client.post(reverse("portal:note", args=[order.pk]), {"note": "  "})
    assert empty.status_code == 400
    assert "Write a note or attach a photo." in str(empty.context["note_form"].non_field_errors())
    no_summary = client.post(reverse("portal:done", args=[order.pk]), {"note": ""})
    assert "note" in no_summary.context["done_form"].errors
    assert _updates() == before
    assert not any(path.is_file() for path in media.rglob("*"))
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrder.Status.ACCEPTED


def test_actions_are_post_only(client_for, worker, order):
    client = client_for(worker)
    for action in ("accept", "decline", "start", "note", "done"):
        assert client.get(reverse(f"portal:{action}", args=[order.pk])).status_code == 405
    assert WorkOrder.objects.get(pk=order.pk).status == WorkOrder.Status.OFFERED


def test_someone_elses_work_order_is_404_everywhere(client_for, worker, rivals_order):
    client = client_for(worker)
    before = _updates()
    assert client.get(reverse("portal:work_order", args=[rivals_order.pk])).status_code == 404
    for action in ("accept", "decline", "start", "note", "done"):
        response = client.post(reverse(f"portal:{action}", args=[rivals_order.pk]), {"reason": "x", "note": "x"})
        assert response.status_code == 404, action
    rival_photo = rivals_order.updates.exclude(photo="").get()
    assert client.get(reverse("portal:photo", args=[rival_photo.pk])).status_code == 404
    assert client.get(reverse("portal:work_order", args=[999_999])).status_code == 404
    assert _updates() == before
    assert WorkOrder.objects.get(pk=rivals_order.pk).status == WorkOrder.Status.ACCEPTED


def test_a_former_contractor_loses_the_portal(client_for, worker, order):
    worker.groups.clear()
    assert client_for(worker).get(reverse("portal:work_order", args=[order.pk])).status_code == 403


# --- every other URL of the project ----------------------------------------------------------

# Pages every logged-in user (or anyone) may open, and why:
#   healthz, accounts/login/, i18n/setlang/ and views marked @public_page: public by design
#     (the customer-facing forms and links check their own token / rate limit);
#   accounts/password/ and accounts/password/done/: area "account", so a contractor can change
#     their own password;
#   accounts/logout/: logging out (POST only; GET answers 405);
#   admin/login/: Django's admin login form (shows "not authorised" to a non-staff user and
#     reveals nothing); every other admin page redirects a non-staff user to it.
ALLOWED_FOR_CONTRACTORS = {"accounts/password/", "accounts/password/done/"}
PUBLIC = {"healthz", "accounts/login/", "i18n/setlang/"}
SKIP_POST = {"accounts/logout/"}  # would log the contractor out mid-walk
CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _walk_all(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk_all(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


@pytest.fixture
def real_objects(desk_agent, order, rivals_order, ticket, media):
    """A real row behind every kind of id a URL takes, so a 404 is not the only reason for a refusal."""
    customer = ticket.customer
    lead = LeadFactory()
    opportunity = OpportunityFactory(customer=customer)
    return {
        "customers/": customer.pk,
        "notifications/": NotificationFactory(recipient=desk_agent).pk,
        "sales/products/": ProductFactory().pk,
        "sales/leads/": lead.pk,
        "sales/opportunities/": opportunity.pk,
        "sales/activities/": ActivityFactory(customer=customer).pk,
        "sales/orders/": OrderFactory(customer=customer).pk,
        "service/tickets/": ticket.pk,
        "service/work-orders/photos/": rivals_order.updates.exclude(photo="").get().pk,
        "service/work-orders/": rivals_order.pk,
        "admin/": customer.pk,
    }


def _fill(route: str, real: dict[str, int]) -> str:
    if route.startswith("admin/^") or "(?P<" in route:
        # The admin's app index and catch-all are regular expressions.
        app_list = re.search(r"\^\(\?P<app_label>(\w+)[|)][^)]*\)/\$", route)
        if app_list:
            return "/" + route[: app_list.start()] + app_list[1] + "/"
        return route
    pk = next(
        (value for prefix, value in sorted(real.items(), key=lambda i: -len(i[0])) if route.startswith(prefix)), 1
    )

    def value(match):
        return str(pk) if match["converter"] in ("int", None) or match["name"] == "object_id" else "x"

    return "/" + CONVERTER.sub(value, route)


def test_a_contractor_reaches_no_page_outside_the_portal(client_for, worker, real_objects):
    client = client_for(worker)
    portal = reverse("portal:index")
    checked = 0
    for route, view in _walk_all(get_resolver().url_patterns):
        if route.startswith("portal/") or route in PUBLIC or getattr(view, "access_public", False):
            continue
        url = _fill(route, real_objects)
        if "(?P<" in url or route == "admin/login/":
            continue  # the admin's catch-all (covered by the admin index redirect) and its login form
        answers = {}
        for method in ("get", "post"):
            if method == "post" and route in SKIP_POST:
                continue
            client.force_login(worker)
            response = getattr(client, method)(url)
            answers[method] = (response.status_code, response.get("Location", ""))
        statuses = {status for status, _location in answers.values()}
        if route in ALLOWED_FOR_CONTRACTORS:
            assert statuses <= {200, 302, 405}, (route, answers)
        elif route == "":
            assert set(answers.values()) <= {(302, portal), (405, "")}, (route, answers)
        elif route == "accounts/logout/":
            assert statuses == {405}
        elif route.startswith("admin/"):
            # Non-staff users are sent to the admin login (logout sends to the admin index, which does too).
            assert all(s == 302 and loc.startswith("/admin/") for s, loc in answers.values()), (route, answers)
        else:
            # Refused by the area check before any lookup; a POST-only view answers a GET with 405.
            assert 403 in statuses and statuses <= {403, 405}, (route, answers)
        checked += 1
    assert checked > 150
    # Nothing the walk posted changed the contractor's reach or anyone's data it could not see.
    assert WorkOrder.objects.get(pk=real_objects["service/work-orders/"]).status == WorkOrder.Status.ACCEPTED


def test_a_contractor_never_gets_a_404_that_betrays_existence(client_for, worker, real_objects):
    """Outside the portal the refusal comes before any lookup: real and missing ids answer alike."""
    client = client_for(worker)
    for name, args in (
        ("customers:detail", [real_objects["customers/"]]),
        ("service:ticket_work_orders", [real_objects["service/tickets/"]]),
        ("service:work_order_photo", [real_objects["service/work-orders/photos/"]]),
        ("sales:order_detail", [real_objects["sales/orders/"]]),
    ):
        real = client.get(reverse(name, args=args)).status_code
        missing = client.get(reverse(name, args=[999_999])).status_code
        assert real == missing == 403, name


def test_a_contractor_with_a_staff_role_too_is_still_scoped_in_the_portal(client_for, desk_agent, rivals_order):
    # An odd set-up (an agent who is also a contractor) still sees only their own work orders.
    desk_agent.groups.add(Group.objects.get(name=Role.CONTRACTOR.value))
    response = client_for(desk_agent).get(reverse("portal:work_order", args=[rivals_order.pk]))
    assert response.status_code == 404
