"""Lead pages: access per role, the list and detail in constant queries, status actions,
hand-over, conversion, and the Excel export and import."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers.models import Customer, Source
from sales.models import Activity, DisqualifyReason, Lead, LeadAssignment, Opportunity, ScoringRule
from tests.factories import CustomerFactory
from tests.sales.factories import ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(personas):
    return {
        name: LeadFactory(name=f"Lead of {name}", owner=personas[name], status=Lead.Status.QUALIFIED)
        for name in ("rep", "rep2", "outsider_rep")
    }


def listed(client, **params):
    response = client.get(reverse("sales:lead_list"), params)
    assert response.status_code == 200
    return {lead.name for lead in response.context["page_obj"]}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep", {"rep"}),
        ("manager", {"rep", "rep2"}),
        ("admin", {"rep", "rep2", "outsider_rep"}),
    ],
)
def test_the_list_shows_what_each_role_may_see(persona, expected, personas, leads, client_for):
    assert listed(client_for(personas[persona])) == {f"Lead of {name}" for name in expected}


@pytest.mark.parametrize("persona", ["marketer", "agent", "contractor"])
def test_other_roles_are_refused_every_lead_page(persona, personas, leads, client_for):
    client = client_for(personas[persona])
    lead = leads["rep"]
    for url in [
        reverse("sales:lead_list"),
        reverse("sales:lead_create"),
        reverse("sales:lead_export"),
        reverse("sales:lead_import"),
        reverse("sales:lead_detail", args=[lead.pk]),
        reverse("sales:lead_edit", args=[lead.pk]),
        reverse("sales:lead_convert", args=[lead.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("sales:lead_qualify", args=[lead.pk])).status_code == 403


def test_anonymous_visitors_go_to_login(client, leads):
    response = client.get(reverse("sales:lead_detail", args=[leads["rep"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_rep_cannot_open_or_change_another_reps_lead(personas, leads, client_for):
    client = client_for(personas["rep"])
    for name in ("rep2", "outsider_rep"):
        lead = leads[name]
        assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 404
        assert client.get(reverse("sales:lead_edit", args=[lead.pk])).status_code == 404
        assert client.get(reverse("sales:lead_convert", args=[lead.pk])).status_code == 404
        assert client.post(reverse("sales:lead_mark_contacted", args=[lead.pk])).status_code == 404
    assert client.get(reverse("sales:lead_detail", args=[leads["rep"].pk])).status_code == 200


def test_list_filters(personas, client_for):
    rep = personas["rep"]
    web = Source.objects.create(name="Website")
    LeadFactory(name="Ali Rezaei", company="Pars", owner=rep, phone="+989121112233", score=40, source=web)
    LeadFactory(name="Sara Karimi", owner=rep, email="sara@example.com", score=5, status=Lead.Status.CONTACTED)
    client = client_for(rep)
    assert listed(client, q="pars") == {"Ali Rezaei"}
    assert listed(client, q="۰۹۱۲ ۱۱۱ ۲۲۳۳") == {"Ali Rezaei"}
    assert listed(client, q="sara@") == {"Sara Karimi"}
    assert listed(client, status="contacted") == {"Sara Karimi"}
    assert listed(client, source=web.pk) == {"Ali Rezaei"}
    assert listed(client, min_score=10) == {"Ali Rezaei"}
    assert listed(client, owner=rep.pk) == {"Ali Rezaei", "Sara Karimi"}


def test_the_list_runs_a_constant_number_of_queries(personas, client_for, django_assert_max_num_queries):
    manager = personas["manager"]
    source = Source.objects.create(name="Website")
    client = client_for(manager)
    LeadFactory(owner=personas["rep"], source=source)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("sales:lead_list"))
    for _ in range(15):
        LeadFactory(owner=personas["rep2"], source=source)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("sales:lead_list"))
    assert len(response.context["page_obj"]) == 16


def test_the_detail_runs_a_constant_number_of_queries(personas, client_for, django_assert_max_num_queries):
    rep = personas["rep"]
    lead = LeadFactory(owner=rep)
    ScoringRule.objects.create(criterion="has_phone", points=5)
    client = client_for(personas["manager"])
    ActivityFactory(lead=lead, assignee=rep)
    with django_assert_max_num_queries(40) as one:
        client.get(reverse("sales:lead_detail", args=[lead.pk]))
    for _ in range(5):
        ActivityFactory(lead=lead, assignee=personas["rep2"], status=Activity.Status.DONE)
        LeadAssignment.objects.create(lead=lead, from_user=rep, to_user=personas["rep2"], assigned_by=rep)
        ScoringRule.objects.create(criterion="has_email", points=1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("sales:lead_detail", args=[lead.pk]))
    assert response.context["data"].contacts == 5
    content = response.content.decode()
    assert "Log a call / schedule" in content and f"?lead={lead.pk}" in content


def test_a_rep_creates_a_lead_of_their_own(personas, client_for):
    rep = personas["rep"]
    response = client_for(rep).post(
        reverse("sales:lead_create"), {"name": "Omid", "phone": "0912 345 6789", "email": "OMID@example.com"}
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == lead.get_absolute_url()
    assert (lead.owner, lead.phone, lead.email, lead.channel) == (rep, "+989123456789", "omid@example.com", "manual")


def test_bad_input_on_create_writes_nothing(personas, client_for):
    client = client_for(personas["rep"])
    response = client.post(reverse("sales:lead_create"), {"name": "Omid", "phone": "123"})
    assert response.status_code == 200 and response.context["form"].errors["phone"]
    response = client.post(reverse("sales:lead_create"), {"name": "Omid"})
    assert response.context["form"].non_field_errors()
    assert not Lead.objects.exists()


def test_edit(personas, leads, client_for):
    lead = leads["rep"]
    response = client_for(personas["rep"]).post(
        reverse("sales:lead_edit", args=[lead.pk]), {"name": "Renamed", "phone": lead.phone, "company": "Pars"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.company, lead.owner) == ("Renamed", "Pars", personas["rep"])


def test_status_buttons_and_disqualify_reason(personas, client_for):
    rep = personas["rep"]
    lead = LeadFactory(owner=rep)
    client = client_for(rep)
    assert client.get(reverse("sales:lead_qualify", args=[lead.pk])).status_code == 405
    client.post(reverse("sales:lead_mark_contacted", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    response = client.post(reverse("sales:lead_disqualify", args=[lead.pk]), {"reason": ""})
    assert response.status_code == 400 and "Choose why" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    reason = DisqualifyReason.objects.first()
    client.post(reverse("sales:lead_disqualify", args=[lead.pk]), {"reason": reason.pk})
    lead.refresh_from_db()
    assert (lead.status, lead.disqualify_reason) == (Lead.Status.DISQUALIFIED, reason)


def test_reassign_is_for_managers_within_their_team(personas, leads, client_for):
    lead = leads["rep"]
    url = reverse("sales:lead_reassign", args=[lead.pk])
    assert client_for(personas["rep"]).post(url, {"to_user": personas["rep2"].pk}).status_code == 403
    client = client_for(personas["manager"])
    response = client.post(url, {"to_user": personas["outsider_rep"].pk, "reason": "x"})
    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.owner == personas["rep"]
    response = client.post(url, {"to_user": personas["rep2"].pk, "reason": "Holiday"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == personas["rep2"]
    assert lead.assignments.filter(reason="Holiday", assigned_by=personas["manager"]).exists()
    # A manager cannot reach a lead outside the team at all.
    assert client.post(reverse("sales:lead_reassign", args=[leads["outsider_rep"].pk]), {}).status_code == 404


def test_convert_page_offers_the_visible_duplicates_then_converts(personas, client_for):
    rep = personas["rep"]
    mine = CustomerFactory(name="Sara Ahmadi", owner=rep, phones=["+989121234567"])
    theirs = CustomerFactory(name="Sara A.", owner=personas["outsider_rep"], emails=["sara@example.com"])
    lead = LeadFactory(
        owner=rep, name="Sara Ahmadi", phone="+989121234567", email="sara@example.com", status=Lead.Status.QUALIFIED
    )
    client = client_for(rep)
    response = client.get(reverse("sales:lead_convert", args=[lead.pk]))
    assert response.status_code == 200
    assert response.context["visible_ids"] == {mine.pk}
    # Only the customer the rep may open is offered; the other one is not named at all.
    assert [candidate.customer.pk for candidate in response.context["candidates"]] == [mine.pk]
    assert response.context["hidden_matches"] is True
    # Picking a customer the rep may not see is refused, and nothing is written.
    response = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"customer": theirs.pk})
    assert response.status_code == 400 and not Opportunity.objects.exists()
    response = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"customer": mine.pk, "amount": "100"})
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response.url == opportunity.get_absolute_url()
    assert opportunity.customer == mine and Customer.objects.count() == 2


def test_convert_with_create_new(personas, client_for):
    rep = personas["rep"]
    lead = LeadFactory(owner=rep, name="Nima", phone="+989127654321", status=Lead.Status.CONTACTED)
    response = client_for(rep).post(reverse("sales:lead_convert", args=[lead.pk]), {"customer": "new"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED and lead.customer.phone == "+989127654321"


def test_convert_a_new_lead_is_refused(personas, client_for):
    rep = personas["rep"]
    lead = LeadFactory(owner=rep)
    client = client_for(rep)
    assert client.get(reverse("sales:lead_convert", args=[lead.pk])).url == lead.get_absolute_url()
    response = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"customer": "new"})
    assert response.status_code == 400
    assert not Customer.objects.exists() and not Opportunity.objects.exists()


def test_export_opens_with_openpyxl_and_follows_the_filters(personas, leads, client_for):
    LeadFactory(name="Contacted one", owner=personas["rep"], status=Lead.Status.CONTACTED)
    response = client_for(personas["rep"]).get(reverse("sales:lead_export"), {"status": "qualified"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name"
    assert [row[0] for row in rows[1:]] == ["Lead of rep"]


def _xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Company", "Phone", "Email", "Province", "City", "Source", "Interest", "Estimated value"])
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("leads.xlsx", buffer.getvalue())


def test_import_creates_leads_through_the_service(personas, client_for):
    Source.objects.create(name="Exhibition")
    ScoringRule.objects.create(criterion="has_company", points=9)
    upload = _xlsx(
        [
            ["Ali", "Pars", "۰۹۱۲۱۱۱۲۲۳۳", "", "Tehran", "Tehran", "exhibition", "Fridges", 5000000],
            ["Sara", "", "", "SARA@example.com", "fars", "Shiraz", "", "", None],
        ]
    )
    response = client_for(personas["rep"]).post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 302
    ali = Lead.objects.get(name="Ali")
    assert (ali.phone, ali.province, ali.source.name, ali.score, ali.channel) == (
        "+989121112233",
        "tehran",
        "Exhibition",
        9,
        "import",
    )
    assert Lead.objects.get(name="Sara").email == "sara@example.com"
    assert Lead.objects.filter(owner=personas["rep"]).count() == 2


def test_import_with_a_bad_row_writes_nothing(personas, client_for):
    upload = _xlsx(
        [
            ["Ali", "", "09121112233", "", "", "", "", "", ""],
            ["", "", "12", "", "Atlantis", "", "Nowhere", "", "lots"],
        ]
    )
    response = client_for(personas["rep"]).post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 400
    (bad,) = response.context["bad_rows"]
    assert bad.number == 3 and len(bad.errors) == 5
    assert not Lead.objects.exists()


def test_import_refuses_an_unreadable_file(personas, client_for):
    upload = SimpleUploadedFile("leads.xlsx", b"not a workbook")
    response = client_for(personas["rep"]).post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 400 and response.context["form"].errors["file"]


def test_import_template_downloads(personas, client_for):
    response = client_for(personas["rep"]).get(reverse("sales:lead_import_template"))
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet["A1"].value == "Name" and sheet["A2"].value


def test_the_form_pages_render(personas, leads, client_for):
    client = client_for(personas["manager"])
    lead = leads["rep"]
    for url in [
        reverse("sales:lead_create"),
        reverse("sales:lead_import"),
        reverse("sales:lead_edit", args=[lead.pk]),
        reverse("sales:lead_convert", args=[lead.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    # The manager picks an owner among their team, or leaves it to the rules.
    owners = client.get(reverse("sales:lead_create")).context["form"].fields["owner"].queryset
    assert set(owners) == {personas["manager"], personas["rep"], personas["rep2"]}
    partial = client.get(reverse("sales:lead_list"), headers={"HX-Request": "true", "HX-Target": "lead-results"})
    assert b"<html" not in partial.content and lead.name.encode() in partial.content
