"""Campaign pages: access per role, create / edit with bad input writing nothing, the status
actions and who may approve, the preview, recipients scoped to the user's customers, constant
query counts, and the Excel exports matching the page."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from marketing.models import Campaign, CampaignRecipient
from marketing.services import campaign_sending as sending
from tests.marketing.campaigns.conftest import plan

pytestmark = pytest.mark.django_db


def form_data(segment, **changes):
    data = {
        "name": "Autumn offer",
        "objective": Campaign.Objective.SALES,
        "channel": Campaign.Channel.SMS,
        "segments": [segment.pk],
        "body": "Hi {first_name} {opt_out}",
        "schedule": Campaign.Schedule.NOW,
        "budget": "1000000",
        "cost_per_message": "250",
        "fixed_cost": "0",
        "holdout_percent": "10",
        "attribution_days": "30",
    }
    data.update(changes)
    return data


@pytest.fixture
def sent(approved, make_customers, rep, rep2, outsider_rep):
    customers = make_customers(3)
    for customer, owner in zip(customers, [rep, rep2, outsider_rep], strict=True):
        customer.owner = owner
        customer.team = owner.team
        customer.save()
    campaign = approved()
    sending.campaign_send_now(campaign=campaign)
    return campaign


def urls(campaign):
    return [
        reverse("marketing:campaign_list"),
        reverse("marketing:campaign_create"),
        reverse("marketing:campaign_detail", args=[campaign.pk]),
        reverse("marketing:campaign_recipients", args=[campaign.pk]),
        reverse("marketing:campaign_export", args=[campaign.pk]),
        reverse("marketing:campaign_recipients_export", args=[campaign.pk]),
    ]


@pytest.mark.parametrize("persona", ["admin", "manager", "marketer"])
def test_marketing_roles_use_every_page(persona, personas, sent, client_for):
    client = client_for(personas[persona])
    for url in urls(sent):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["rep", "agent", "contractor"])
def test_other_roles_are_refused(persona, personas, sent, client_for):
    client = client_for(personas[persona])
    for url in urls(sent):
        assert client.get(url).status_code == 403, url
    for action in ["submit", "approve", "reject", "pause", "resume", "cancel"]:
        assert client.post(reverse(f"marketing:campaign_{action}", args=[sent.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, sent):
    response = client.get(reverse("marketing:campaign_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_create_then_edit(client_for, marketer, everyone):
    client = client_for(marketer)
    response = client.post(reverse("marketing:campaign_create"), form_data(everyone))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert campaign.owner == marketer and campaign.holdout_percent == 10
    response = client.post(
        reverse("marketing:campaign_edit", args=[campaign.pk]), form_data(everyone, name="Autumn offer 2")
    )
    assert response.status_code == 302
    assert Campaign.objects.get().name == "Autumn offer 2"


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"body": "Hi {nickname}"},
        {"segments": []},
        {"schedule": Campaign.Schedule.AT, "scheduled_at": ""},
        {"holdout_percent": "90"},
        {"cost_per_message": "abc"},
    ],
)
def test_bad_input_writes_nothing(client_for, marketer, everyone, changes):
    response = client_for(marketer).post(reverse("marketing:campaign_create"), form_data(everyone, **changes))
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_submit_approve_through_the_pages(client_for, marketer, manager, everyone):
    campaign = plan(marketer, [everyone])
    client = client_for(marketer)
    client.post(reverse("marketing:campaign_submit", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING_APPROVAL
    assert client.post(reverse("marketing:campaign_approve", args=[campaign.pk])).status_code == 403
    manager_client = client_for(manager)
    listing = manager_client.get(reverse("marketing:campaign_list"))
    assert campaign in listing.context["approval_queue"]
    detail = manager_client.get(campaign.get_absolute_url())
    assert b"Approve this campaign?" in detail.content
    manager_client.post(reverse("marketing:campaign_approve", args=[campaign.pk]), {"note": "Fine"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED and campaign.approved_by == manager


def test_a_manager_cannot_approve_their_own_campaign_through_the_page(client_for, manager, everyone):
    campaign = plan(manager, [everyone])
    client = client_for(manager)
    client.post(reverse("marketing:campaign_submit", args=[campaign.pk]))
    response = client.post(reverse("marketing:campaign_approve", args=[campaign.pk]), follow=True)
    assert b"your own campaign" in response.content
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING_APPROVAL


def test_reject_needs_a_note(client_for, marketer, manager, everyone):
    campaign = plan(marketer, [everyone])
    client_for(marketer).post(reverse("marketing:campaign_submit", args=[campaign.pk]))
    client = client_for(manager)
    client.post(reverse("marketing:campaign_reject", args=[campaign.pk]), {"note": ""})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING_APPROVAL
    client.post(reverse("marketing:campaign_reject", args=[campaign.pk]), {"note": "Add an offer code"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and campaign.rejection_note == "Add an offer code"


def test_pause_resume_cancel_through_the_pages(client_for, approved, marketer):
    campaign = approved()
    client = client_for(marketer)
    client.post(reverse("marketing:campaign_pause", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    client.post(reverse("marketing:campaign_resume", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    client.post(reverse("marketing:campaign_cancel", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED


def test_the_preview_renders_the_message_for_a_customer_of_the_audience(client_for, marketer, everyone, make_customers):
    (customer,) = make_customers(1, first_name="Sara")
    campaign = plan(marketer, [everyone], body="Hi {first_name}, your code is {code}")
    client = client_for(marketer)
    detail = client.get(campaign.get_absolute_url())
    assert customer in detail.context["preview_customers"]
    assert detail.context["estimate"]["audience"] == 1
    url = reverse("marketing:campaign_preview", args=[campaign.pk])
    response = client.get(url, {"customer": customer.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f"Hi Sara, your code is {customer.code}" in response.content.decode()
    assert client.get(url, {"customer": 999999}).status_code == 400
    assert client.get(url, {"customer": "x"}).status_code == 400


def test_the_recipients_are_scoped_to_the_users_customers(client_for, sent, manager, marketer):
    def names(user):
        response = client_for(user).get(reverse("marketing:campaign_recipients", args=[sent.pk]))
        return {recipient.customer.owner.username for recipient in response.context["page_obj"]}

    assert names(marketer) == {"rep", "rep2", "outsider"}
    assert names(manager) == {"rep", "rep2"}


@pytest.mark.parametrize("extra", [1, 6])
def test_the_list_takes_a_constant_number_of_queries(
    client_for, marketer, manager, everyone, extra, django_assert_max_num_queries
):
    for index in range(extra):
        plan(marketer, [everyone], name=f"Campaign {index}")
    client = client_for(manager)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("marketing:campaign_list")).status_code == 200


@pytest.mark.parametrize("count", [2, 12])
def test_the_detail_takes_a_constant_number_of_queries(
    client_for, approved, make_customers, marketer, count, django_assert_max_num_queries
):
    make_customers(count)
    campaign = approved(holdout_percent=20)
    sending.campaign_send_now(campaign=campaign)
    client = client_for(marketer)
    with django_assert_max_num_queries(24):
        assert client.get(campaign.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("marketing:campaign_recipients", args=[campaign.pk])).status_code == 200


def test_the_detail_page_shows_the_chart_data(client_for, sent, marketer):
    response = client_for(marketer).get(sent.get_absolute_url())
    assert b'id="campaign-chart-data"' in response.content
    assert b"vendor/chartjs/chart.umd.min.js" in response.content


def read(response):
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_figures_export_matches_the_page(client_for, sent, marketer):
    client = client_for(marketer)
    page = client.get(sent.get_absolute_url())
    rows = read(client.get(reverse("marketing:campaign_export", args=[sent.pk])))
    assert rows[0] == ["Figure", "Value"]
    expected = [[str(label), value] for label, value, _kind in page.context["figure_rows"]]
    assert [[label, value] for label, value in rows[1:]] == [
        [label, None if value is None else float(value) if not isinstance(value, int) else value]
        for label, value in expected
    ]


def test_the_recipients_export_matches_the_scoped_list(client_for, sent, manager):
    rows = read(client_for(manager).get(reverse("marketing:campaign_recipients_export", args=[sent.pk])))
    assert rows[0][:4] == ["Customer code", "Customer", "Run", "Status"]
    codes = set(
        CampaignRecipient.objects.filter(customer__owner__username__in=["rep", "rep2"]).values_list(
            "customer__code", flat=True
        )
    )
    assert {row[0] for row in rows[1:]} == codes
    assert {row[3] for row in rows[1:]} == {"Queued"}
