"""The customer file: list, search, filters, 360° page, create/edit with duplicate check, timeline,
groups, and access for every role."""

import pytest
from django.urls import reverse

from crm_site.messaging import sms
from crm_site.models import OutboxMessage
from customers.models import Customer, CustomerGroup, Interaction, Tag
from customers.panels import Panel, register_panel, registered_panels
from customers.services import customer_create, group_create, interaction_record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(personas):
    """Customers owned across teams: rep's, rep2's (same team), and the outsider's."""
    return {
        "rep": CustomerFactory(
            name="Ali Rezaei", owner=personas["rep"], team=personas["rep"].team, phones=["+989121111111"]
        ),
        "rep2": CustomerFactory(name="Sara Karimi", owner=personas["rep2"], team=personas["rep2"].team),
        "outsider": CustomerFactory(
            name="Omid Nouri", owner=personas["outsider_rep"], team=personas["outsider_rep"].team
        ),
    }


def listed(client, **params):
    response = client.get(reverse("customers:index"), params)
    assert response.status_code == 200
    return {customer.name for customer in response.context["page_obj"]}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep", {"Ali Rezaei"}),
        ("manager", {"Ali Rezaei", "Sara Karimi"}),
        ("admin", {"Ali Rezaei", "Sara Karimi", "Omid Nouri"}),
        ("marketer", {"Ali Rezaei", "Sara Karimi", "Omid Nouri"}),
        ("agent", {"Ali Rezaei", "Sara Karimi", "Omid Nouri"}),
    ],
)
def test_the_list_shows_what_each_role_may_see(persona, expected, personas, book, client_for):
    assert listed(client_for(personas[persona])) == expected


def test_contractors_and_anonymous_users_cannot_open_the_list(personas, client_for, client):
    assert client.get(reverse("customers:index")).status_code == 302
    assert client_for(personas["contractor"]).get(reverse("customers:index")).status_code == 403


def test_the_all_customers_permission_widens_a_managers_scope(personas, book, client_for):
    from django.contrib.auth.models import Permission

    manager = personas["manager"]
    manager.user_permissions.add(Permission.objects.get(codename="access_all_customers"))
    assert "Omid Nouri" in listed(client_for(manager))


@pytest.mark.parametrize(
    "query",
    ["09121111111", "0912 111 1111", "+98 912 111 1111", "۰۹۱۲۱۱۱۱۱۱۱", "1111111", "rezaei", "ALI", "{code}"],
)
def test_search_finds_by_phone_in_any_format_name_or_code(query, personas, book, client_for):
    query = query.format(code=book["rep"].code)
    assert listed(client_for(personas["admin"]), q=query) >= {"Ali Rezaei"}
    assert "Omid Nouri" not in listed(client_for(personas["admin"]), q=query)


def test_search_finds_persian_names_whichever_keyboard_typed_them(personas, client_for):
    customer_create(created_by=personas["admin"], kind="person", first_name="علی", last_name="کریمی")
    client = client_for(personas["admin"])
    assert listed(client, q="علي كريمي") == {"علی کریمی"}  # Arabic ي and ك
    assert listed(client, q="کریمی") == {"علی کریمی"}


def test_search_by_email_and_search_respects_access(personas, client_for):
    customer_create(created_by=personas["rep2"], kind="person", first_name="Nima", emails=["nima@example.com"])
    assert listed(client_for(personas["manager"]), q="NIMA@example.com") == {"Nima"}
    assert listed(client_for(personas["rep"]), q="nima@example.com") == set()


def test_filter_by_group_includes_sub_groups(personas, client_for):
    wholesale = group_create(name="Wholesale")
    tehran = group_create(name="Tehran", parent=wholesale)
    key_accounts = group_create(name="Key accounts", parent=tehran)
    retail = group_create(name="Retail")
    deep = CustomerFactory(name="Deep")
    deep.groups.add(key_accounts)
    top = CustomerFactory(name="Top")
    top.groups.add(wholesale)
    CustomerFactory(name="Elsewhere").groups.add(retail)
    client = client_for(personas["admin"])
    assert listed(client, group=wholesale.pk) == {"Deep", "Top"}
    assert listed(client, group=tehran.pk) == {"Deep"}
    assert key_accounts.path == f"{wholesale.pk}/{tehran.pk}/{key_accounts.pk}/"


def test_filters_status_tag_province_consent_and_sort(personas, client_for):
    vip = Tag.objects.create(name="VIP")
    a = CustomerFactory(name="Arman", status="active", province="fars", city="Shiraz")
    a.tags.add(vip)
    CustomerFactory(name="Bahar", status="lost", province="tehran", sms_consent=True)
    client = client_for(personas["admin"])
    assert listed(client, status="active") == {"Arman"}
    assert listed(client, tag=vip.pk) == {"Arman"}
    assert listed(client, province="fars", city="shiraz") == {"Arman"}
    assert listed(client, sms_consent="true") == {"Bahar"}
    response = client.get(reverse("customers:index"), {"sort": "-name"})
    assert [c.name for c in response.context["page_obj"]] == ["Bahar", "Arman"]


def test_bad_filter_values_show_a_message_not_an_error(personas, client_for):
    response = client_for(personas["admin"]).get(reverse("customers:index"), {"created_after": "not-a-date"})
    assert response.status_code == 200
    assert b"Some filters are not valid" in response.content


def test_the_list_query_count_is_constant(personas, client_for, django_assert_max_num_queries):
    client = client_for(personas["manager"])
    tag = Tag.objects.create(name="Gold")
    for _ in range(3):
        CustomerFactory(owner=personas["rep"]).tags.add(tag)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("customers:index"), {"q": "a"})
    for _ in range(30):
        CustomerFactory(owner=personas["rep"]).tags.add(tag)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customers:index"), {"q": "a"})


def test_htmx_requests_get_only_the_results(personas, book, client_for):
    response = client_for(personas["admin"]).get(
        reverse("customers:index"), {"q": "ali"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"
    )
    assert b"<html" not in response.content
    assert b"Ali Rezaei" in response.content


# --- the 360° page ---------------------------------------------------------------------------


def test_the_360_page_shows_profile_contacts_timeline_and_panels(personas, client_for):
    org = customer_create(
        created_by=personas["rep"], kind="organisation", name="Pars Trading", phones=["021 8888 1234"]
    )
    person = customer_create(
        created_by=personas["rep"],
        kind="person",
        first_name="Reza",
        last_name="Amini",
        organisation=org,
        job_title="Buyer",
    )
    interaction_record(customer=org, kind=Interaction.Kind.CALL, user=personas["rep"], subject="Price enquiry")
    response = client_for(personas["rep"]).get(reverse("customers:detail", args=[org.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Pars Trading" in page and "+98 21 8888 1234" in page
    assert "Reza Amini" in page and "Buyer" in page  # contact people
    assert "Price enquiry" in page
    # Reps open analytics, whose fuller panel replaces the customers app's figures; an agent,
    # who may not, gets the short one.
    assert 'id="panel-customer-figures"' not in page and 'id="panel-lifetime-value"' in page
    agent_page = client_for(personas["agent"]).get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert 'id="panel-customer-figures"' in agent_page and 'id="panel-lifetime-value"' not in agent_page
    assert person.organisation == org


def test_the_360_page_query_count_is_constant(personas, client_for, django_assert_max_num_queries):
    customer = CustomerFactory(owner=personas["rep"], phones=["+989121234567"])
    client = client_for(personas["rep"])
    for n in range(3):
        interaction_record(customer=customer, kind="note", user=personas["rep"], subject=f"note {n}")
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("customers:detail", args=[customer.pk]))
    for n in range(40):
        interaction_record(customer=customer, kind="call", user=personas["rep2"], subject=f"call {n}")
    customer.tags.add(*[Tag.objects.create(name=f"t{n}") for n in range(5)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customers:detail", args=[customer.pk]))


@pytest.mark.parametrize(("persona", "status"), [("rep", 200), ("rep2", 404), ("manager", 200), ("outsider_rep", 404),
                                                  ("marketer", 200), ("agent", 200), ("contractor", 403)])  # fmt: skip
def test_the_360_page_access(persona, status, personas, book, client_for):
    response = client_for(personas[persona]).get(reverse("customers:detail", args=[book["rep"].pk]))
    assert response.status_code == status


def test_the_timeline_is_newest_first_paginated_and_filterable(personas, client_for):
    customer = CustomerFactory(owner=personas["rep"])
    for n in range(25):
        interaction_record(customer=customer, kind="note", subject=f"note {n:02d}")
    interaction_record(customer=customer, kind="call", subject="the only call")
    client = client_for(personas["rep"])
    response = client.get(reverse("customers:timeline", args=[customer.pk]))
    subjects = [entry.subject for entry in response.context["timeline_page"]]
    assert subjects[0] == "the only call" and len(subjects) == 20
    page2 = client.get(reverse("customers:timeline", args=[customer.pk]), {"page": 2})
    assert len(page2.context["timeline_page"].object_list) == 6
    calls = client.get(reverse("customers:timeline", args=[customer.pk]), {"kind": "call"})
    assert [entry.subject for entry in calls.context["timeline_page"]] == ["the only call"]


def test_logging_a_call_is_one_short_form(personas, client_for):
    customer = CustomerFactory(owner=personas["rep"])
    response = client_for(personas["rep"]).post(
        reverse("customers:log", args=[customer.pk]),
        {"kind": "call", "direction": "out", "outcome": "answered", "duration_minutes": 4, "subject": "Follow-up"},
    )
    assert response.status_code == 302
    call = customer.interactions.get()
    assert (call.kind, call.direction, call.outcome, call.duration_seconds) == ("call", "out", "answered", 240)
    assert call.user == personas["rep"]


def test_an_empty_log_form_writes_nothing(personas, client_for):
    customer = CustomerFactory(owner=personas["rep"])
    response = client_for(personas["rep"]).post(reverse("customers:log", args=[customer.pk]), {"kind": "note"})
    assert response.status_code == 400
    assert b"Write a subject or some details" in response.content
    assert not customer.interactions.exists()


def test_a_service_agent_can_log_a_call_on_any_customer_but_not_edit_it(personas, book, client_for):
    client = client_for(personas["agent"])
    customer = book["outsider"]
    assert (
        client.post(reverse("customers:log", args=[customer.pk]), {"kind": "note", "body": "Called in"}).status_code
        == 302
    )
    assert client.get(reverse("customers:edit", args=[customer.pk])).status_code == 403


def test_sending_an_sms_goes_through_the_outbox_once_per_form(personas, client_for, django_capture_on_commit_callbacks):
    customer = CustomerFactory(owner=personas["rep"], phones=["+989121234567"])
    client = client_for(personas["rep"])
    data = {"channel": "sms", "body": "Your order is ready", "token": "form-token-1"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("customers:message", args=[customer.pk]), data)
        client.post(reverse("customers:message", args=[customer.pk]), data)  # double submit
    assert OutboxMessage.objects.count() == 1
    assert [m.to for m in sms.sent] == ["+989121234567"]
    entry = customer.interactions.get(kind="sms")
    assert entry.source == OutboxMessage.objects.get()


def test_sending_an_email_goes_through_the_outbox_and_onto_the_timeline(
    personas, client_for, django_capture_on_commit_callbacks, mailoutbox
):
    customer = CustomerFactory(owner=personas["rep"], emails=["leila@example.com"])
    client = client_for(personas["rep"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("customers:message", args=[customer.pk]),
            {"channel": "email", "subject": "Your quote", "body": "Attached.", "token": "t-2"},
        )
    assert response.status_code == 302
    assert [(m.to, m.subject) for m in mailoutbox] == [(["leila@example.com"], "Your quote")]
    entry = customer.interactions.get(kind="email")
    assert entry.subject == "Your quote" and entry.direction == "out"


def test_an_email_without_a_subject_is_not_sent(personas, client_for):
    customer = CustomerFactory(owner=personas["rep"], emails=["leila@example.com"])
    response = client_for(personas["rep"]).post(
        reverse("customers:message", args=[customer.pk]),
        {"channel": "email", "body": "Hi", "token": "t-3"},
        follow=True,
    )
    assert b"Write a subject" in response.content
    assert not OutboxMessage.objects.exists() and not customer.interactions.exists()


def test_a_customer_without_a_phone_gets_a_clear_message(personas, client_for):
    customer = CustomerFactory(owner=personas["rep"])
    response = client_for(personas["rep"]).post(
        reverse("customers:message", args=[customer.pk]), {"channel": "sms", "body": "Hi", "token": "t-4"}, follow=True
    )
    assert b"This customer has no phone number" in response.content
    assert not OutboxMessage.objects.exists()


# --- create and edit -------------------------------------------------------------------------

VALID = {
    "kind": "person",
    "first_name": "Leila",
    "last_name": "Hosseini",
    "status": "prospect",
    "phones": "0935 123 4567",
    "emails": "Leila@Example.com",
    "city": "Isfahan",
    "province": "isfahan",
}


def test_create_normalises_and_redirects_to_the_new_customer(personas, client_for):
    response = client_for(personas["rep"]).post(reverse("customers:create"), VALID)
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customer.pk])
    assert customer.name == "Leila Hosseini"
    assert customer.phone == "+989351234567" and customer.email == "leila@example.com"
    assert customer.owner == personas["rep"] and customer.team == personas["rep"].team
    assert customer.code == f"C{customer.pk:06d}"


def test_bad_input_writes_nothing_and_says_why(personas, client_for):
    response = client_for(personas["rep"]).post(
        reverse("customers:create"), {**VALID, "phones": "12", "emails": "not-an-email", "sms_consent": "on"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter valid phone numbers" in page and "Enter valid email addresses" in page
    assert "Say how the consent was given" in page
    assert not Customer.objects.exists()


def test_a_likely_duplicate_is_flagged_before_saving(personas, client_for):
    existing = customer_create(created_by=personas["rep2"], kind="person", first_name="Leila", phones=["09351234567"])
    client = client_for(personas["rep"])
    response = client.post(reverse("customers:create"), VALID)
    assert response.status_code == 200
    assert b"This looks like a customer you already have" in response.content
    assert existing.code.encode() in response.content
    # rep cannot open rep2's customer, so no link is shown, only the owner
    assert reverse("customers:detail", args=[existing.pk]).encode() not in response.content
    assert Customer.objects.count() == 1
    response = client.post(reverse("customers:create"), {**VALID, "confirm_duplicates": "on"})
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_a_similar_name_in_the_same_city_is_flagged(personas, client_for):
    customer_create(created_by=personas["rep"], kind="person", first_name="Leila", last_name="Hoseini", city="Isfahan")
    response = client_for(personas["rep"]).post(reverse("customers:create"), {**VALID, "phones": "", "emails": ""})
    assert b"similar name in the same city" in response.content


def test_consent_is_stamped_when_given_and_cleared_when_withdrawn(personas, client_for):
    client = client_for(personas["rep"])
    client.post(reverse("customers:create"), {**VALID, "sms_consent": "on", "sms_consent_method": "web_form"})
    customer = Customer.objects.get()
    assert customer.sms_consent_at is not None and customer.sms_consent_method == "web_form"
    client.post(reverse("customers:edit", args=[customer.pk]), {**VALID, "confirm_duplicates": "on"})
    customer.refresh_from_db()
    assert not customer.sms_consent and customer.sms_consent_at is None


@pytest.mark.parametrize(("persona", "status"), [("rep", 200), ("rep2", 404), ("manager", 200), ("outsider_rep", 404),
                                                  ("marketer", 403), ("agent", 403), ("admin", 200)])  # fmt: skip
def test_edit_access(persona, status, personas, book, client_for):
    assert client_for(personas[persona]).get(reverse("customers:edit", args=[book["rep"].pk])).status_code == status


def test_marketing_and_agents_cannot_create(personas, client_for):
    for persona in ("marketer", "agent"):
        assert client_for(personas[persona]).post(reverse("customers:create"), VALID).status_code == 403
    assert not Customer.objects.exists()


def test_editing_is_audited(personas, client_for):
    customer = customer_create(created_by=personas["rep"], kind="person", first_name="Old", city="Tabriz")
    client_for(personas["rep"]).post(
        reverse("customers:edit", args=[customer.pk]), {**VALID, "first_name": "New", "confirm_duplicates": "on"}
    )
    latest = customer.history.latest()
    assert latest.first_name == "New" and latest.history_user == personas["rep"]


# --- groups and panels -----------------------------------------------------------------------


def test_moving_a_group_moves_its_sub_groups(personas):
    from customers.services import group_save

    a = group_create(name="A")
    b = group_create(name="B", parent=a)
    c = group_create(name="C", parent=b)
    other = group_create(name="Other")
    b.parent = other
    group_save(group=b)
    c.refresh_from_db()
    assert c.path == f"{other.pk}/{b.pk}/{c.pk}/" and c.depth == 2
    other.parent = c  # c is now below other: a cycle
    with pytest.raises(Exception, match="own sub-groups"):
        group_save(group=other)


def test_groups_page_lets_managers_add_and_reps_only_look(personas, client_for):
    assert client_for(personas["manager"]).post(reverse("customers:groups"), {"name": "Wholesale"}).status_code == 302
    assert CustomerGroup.objects.filter(name="Wholesale").exists()
    rep = client_for(personas["rep"])
    assert rep.get(reverse("customers:groups")).status_code == 200
    assert rep.post(reverse("customers:groups"), {"name": "Mine"}).status_code == 403


def test_another_app_adds_a_panel_without_touching_customers(personas, client_for, tmp_path, settings):
    template_dir = tmp_path / "templates"
    (template_dir / "test").mkdir(parents=True)
    (template_dir / "test" / "panel.html").write_text("Orders: {{ order_count }} for {{ customer.name }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]
    register_panel(Panel(key="test-orders", title="Orders", template="test/panel.html",
                         context=lambda request, customer: {"order_count": 3}, area="sales", order=10))  # fmt: skip
    try:
        customer = CustomerFactory(name="Panel Person", owner=personas["rep"])
        page = client_for(personas["rep"]).get(reverse("customers:detail", args=[customer.pk])).content.decode()
        assert "Orders: 3 for Panel Person" in page
        # A marketer may see the customer but not the sales area: no sales panel for them.
        page = client_for(personas["marketer"]).get(reverse("customers:detail", args=[customer.pk])).content.decode()
        assert "Orders: 3" not in page
    finally:
        from customers import panels

        panels._registry.pop("test-orders")
    assert "test-orders" not in [panel.key for panel in registered_panels()]
