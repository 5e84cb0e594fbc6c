"""In-app notifications: the bell, the list, mark as read; constant queries."""

import pytest
from django.urls import reverse

from crm_site.models import Notification
from crm_site.services import notification_create
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_the_bell_shows_the_unread_count(client_for, rep):
    NotificationFactory.create_batch(3, recipient=rep)
    NotificationFactory(recipient=rep, read_at="2026-01-01T00:00:00Z")
    response = client_for(rep).get(reverse("home"))
    assert b'data-testid="unread-count"' in response.content
    assert response.context["nav_unread_count"] == 3


def test_the_list_shows_only_my_notifications_newest_first(client_for, rep, rep2):
    mine = [notification_create(recipient=rep, title=f"Lead {n} assigned to you") for n in range(3)]
    NotificationFactory(recipient=rep2, title="Not for rep")
    response = client_for(rep).get(reverse("notifications"))
    assert [n.pk for n in response.context["page_obj"]] == [n.pk for n in reversed(mine)]
    assert b"Not for rep" not in response.content


def test_the_list_is_paginated_with_constant_queries(client_for, rep, django_assert_max_num_queries):
    client = client_for(rep)
    NotificationFactory.create_batch(5, recipient=rep)
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("notifications"))
    NotificationFactory.create_batch(60, recipient=rep)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("notifications"), {"page": 2})
    assert response.context["page_obj"].number == 2
    assert len(response.context["page_obj"].object_list) == 25


def test_unread_filter(client_for, rep):
    NotificationFactory(recipient=rep, title="Old news", read_at="2026-01-01T00:00:00Z")
    NotificationFactory(recipient=rep, title="Fresh news")
    response = client_for(rep).get(reverse("notifications"), {"show": "unread"})
    assert [n.title for n in response.context["page_obj"]] == ["Fresh news"]


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_for, rep):
    notification = notification_create(recipient=rep, title="Call back", url="/sales/")
    response = client_for(rep).post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response.url == "/sales/"
    notification.refresh_from_db()
    assert notification.is_read


def test_an_outside_link_is_not_followed(client_for, rep):
    notification = notification_create(recipient=rep, title="Phish", url="https://evil.example/")
    response = client_for(rep).post(reverse("notification_open", args=[notification.pk]))
    assert response.url == reverse("notifications")


def test_someone_elses_notification_is_not_found(client_for, rep, rep2):
    theirs = NotificationFactory(recipient=rep2)
    assert client_for(rep).post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_all_read_touches_only_mine(client_for, rep, rep2):
    NotificationFactory.create_batch(2, recipient=rep)
    theirs = NotificationFactory(recipient=rep2)
    response = client_for(rep).post(reverse("notifications_read_all"), follow=True)
    assert b"2 notifications marked as read" in response.content
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_read_needs_post(client_for, rep):
    assert client_for(rep).get(reverse("notifications_read_all")).status_code == 405


def test_a_dedupe_key_collapses_repeats(rep):
    first = notification_create(recipient=rep, title="SLA breach on ticket 42", dedupe_key="sla-breach-42")
    again = notification_create(recipient=rep, title="SLA breach on ticket 42", dedupe_key="sla-breach-42")
    assert first.pk == again.pk
    assert Notification.objects.count() == 1
