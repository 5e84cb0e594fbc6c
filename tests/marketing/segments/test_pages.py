"""Segment pages: access per role, query counts, the builder form, the live preview, static
list members and the export."""

import json

import pytest
from django.urls import reverse

from marketing.models import Campaign, Segment, SegmentMember
from marketing.services.segments import segment_create, segment_members_add
from tests.factories import CustomerFactory
from tests.marketing.segments.conftest import workbook_bytes

pytestmark = pytest.mark.django_db

TEHRAN = {"match": "all", "conditions": [{"field": "province", "op": "in", "value": ["tehran"]}]}
ALLOWED = ["admin", "manager", "marketer"]
DENIED = ["rep", "agent", "contractor"]


@pytest.fixture
def tree():
    top = segment_create(name="Tehran customers", rules=TEHRAN)
    child = segment_create(
        name="Consented", rules={"match": "all", "conditions": [{"field": "sms_consent", "op": "yes"}]}, parent=top
    )
    listed = segment_create(name="Gift list", kind=Segment.Kind.STATIC)
    return {"top": top, "child": child, "list": listed}


def page_urls(tree):
    pk = tree["top"].pk
    return [
        reverse("marketing:segment_list"),
        reverse("marketing:segment_create"),
        reverse("marketing:segment_detail", args=[pk]),
        reverse("marketing:segment_edit", args=[pk]),
        reverse("marketing:segment_export", args=[pk]),
        reverse("marketing:segment_product_search") + "?q=x",
    ]


@pytest.mark.parametrize("persona", ALLOWED)
def test_marketing_roles_use_the_pages(persona, personas, client_for, tree):
    client = client_for(personas[persona])
    for url in page_urls(tree):
        assert client.get(url).status_code == 200, url
    assert client.post(reverse("marketing:segment_preview"), {"rules": json.dumps(TEHRAN)}).status_code == 200


@pytest.mark.parametrize("persona", DENIED)
def test_other_roles_are_refused(persona, personas, client_for, tree):
    client = client_for(personas[persona])
    for url in page_urls(tree):
        assert client.get(url).status_code == 403, url
    pk = tree["list"].pk
    for name in ("segment_delete", "segment_recount", "segment_member_add", "segment_member_remove"):
        assert client.post(reverse(f"marketing:{name}", args=[pk])).status_code == 403, name
    assert client.post(reverse("marketing:segment_preview"), {}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, tree):
    for url in page_urls(tree):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_list_shows_the_tree_in_constant_queries(client_for, admin, marketer, django_assert_max_num_queries, tree):
    client = client_for(marketer)
    campaign = Campaign.objects.create(name="Spring", owner=admin)
    campaign.segments.add(tree["child"])
    response = client.get(reverse("marketing:segment_list"))
    body = response.content.decode()
    assert body.index("Tehran customers") < body.index("Consented")
    rows = response.context["rows"]
    assert [(row.segment.name, row.depth) for row in rows] == [
        ("Gift list", 0),
        ("Tehran customers", 0),
        ("Consented", 1),
    ]
    assert rows[2].segment.campaign_count == 1
    with django_assert_max_num_queries(8) as before:
        client.get(reverse("marketing:segment_list"))
    for n in range(15):
        parent = segment_create(name=f"Root {n}", rules=TEHRAN)
        segment_create(name=f"Child {n}", rules=TEHRAN, parent=parent)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("marketing:segment_list"))
    filtered = client.get(reverse("marketing:segment_list"), {"q": "consent"})
    assert [row.segment.name for row in filtered.context["rows"]] == ["Consented"]


def test_detail_page_in_constant_queries(client_for, marketer, django_assert_max_num_queries, tree):
    client = client_for(marketer)
    url = reverse("marketing:segment_detail", args=[tree["child"].pk])
    CustomerFactory(province="tehran", sms_consent=True)
    with django_assert_max_num_queries(30) as before:
        response = client.get(url)
    assert "Tehran customers" in response.content.decode()  # the parent in the breadcrumb
    assert "Agrees to marketing SMS yes" in response.context["rule_words"]
    for _n in range(10):
        CustomerFactory(province="tehran", sms_consent=True)
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(url)
    assert len(response.context["members"].object_list) == 11


def test_detail_members_are_scoped_to_what_the_user_may_see(client_for, manager, rep, outsider_rep, tree):
    mine = CustomerFactory(province="tehran", sms_consent=True, owner=rep)
    CustomerFactory(province="tehran", sms_consent=True, owner=outsider_rep)
    response = client_for(manager).get(reverse("marketing:segment_detail", args=[tree["child"].pk]))
    assert list(response.context["members"].object_list) == [mine]


def test_create_a_segment_with_the_builder(client_for, marketer, tree):
    CustomerFactory(province="tehran")
    rules = {
        "match": "all",
        "conditions": [{"field": "orders_count", "op": "lte", "value": "0"}, {"match": "any", "conditions": []}],
    }
    response = client_for(marketer).post(
        reverse("marketing:segment_create"),
        {
            "name": "Never bought",
            "kind": "rule",
            "parent": tree["top"].pk,
            "rules": json.dumps(rules),
            "is_active": "on",
        },
    )
    segment = Segment.objects.get(name="Never bought")
    assert response.status_code == 302 and response["Location"] == segment.get_absolute_url()
    assert segment.parent == tree["top"] and segment.owner == marketer
    never = {"field": "orders_count", "op": "lte", "value": 0, "days": None}
    assert segment.rules == {"match": "all", "conditions": [never]}
    assert segment.last_count == 1


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("{not json", "could not be read"),
        (
            json.dumps({"match": "all", "conditions": [{"field": "province", "op": "in", "value": ["mars"]}]}),
            "Condition 1 (Province): “mars” is not one of the choices.",
        ),
    ],
)
def test_bad_rules_write_nothing(client_for, marketer, rules, message):
    response = client_for(marketer).post(
        reverse("marketing:segment_create"), {"name": "Bad", "kind": "rule", "rules": rules}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Segment.objects.exists()


def test_edit_cannot_move_a_segment_under_its_child(client_for, marketer, tree):
    response = client_for(marketer).post(
        reverse("marketing:segment_edit", args=[tree["top"].pk]),
        {"name": "Tehran customers", "parent": tree["child"].pk, "rules": json.dumps(TEHRAN), "is_active": "on"},
    )
    assert response.status_code == 400
    tree["top"].refresh_from_db()
    assert tree["top"].parent_id is None


def test_edit_saves_the_rule(client_for, marketer, tree):
    rules = {"match": "any", "conditions": [{"field": "city", "op": "contains", "value": "teh"}]}
    response = client_for(marketer).post(
        reverse("marketing:segment_edit", args=[tree["top"].pk]),
        {"name": "Tehran city", "rules": json.dumps(rules), "is_active": "on"},
    )
    assert response.status_code == 302
    tree["top"].refresh_from_db()
    assert (tree["top"].name, tree["top"].rules) == ("Tehran city", rules)


def test_preview_counts_the_whole_base_and_samples_what_the_user_sees(
    client_for, manager, rep, outsider_rep, django_assert_max_num_queries, tree
):
    visible = CustomerFactory(province="tehran", sms_consent=True, owner=rep, name="Visible Vida")
    CustomerFactory(province="tehran", sms_consent=True, owner=outsider_rep, name="Hidden Hamid")
    CustomerFactory(province="tehran", sms_consent=False, owner=rep, name="No Consent")
    client = client_for(manager)
    rules = {"match": "all", "conditions": [{"field": "sms_consent", "op": "yes"}]}
    with django_assert_max_num_queries(10):
        response = client.post(
            reverse("marketing:segment_preview"), {"rules": json.dumps(rules), "kind": "rule", "parent": tree["top"].pk}
        )
    assert response.status_code == 200
    assert response.context["count"] == 2
    assert response.context["sample"] == [visible]
    body = response.content.decode()
    assert "Visible Vida" in body and "Hidden Hamid" not in body


def test_preview_reports_a_bad_rule(client_for, marketer):
    response = client_for(marketer).post(
        reverse("marketing:segment_preview"),
        {"rules": json.dumps({"match": "all", "conditions": [{"field": "age", "op": "gte", "value": "old"}]})},
    )
    assert response.status_code == 400
    assert "is not a number" in response.content.decode()


def test_static_list_members_by_hand(client_for, marketer, tree):
    customer = CustomerFactory(name="Listed Leila")
    client = client_for(marketer)
    url = reverse("marketing:segment_detail", args=[tree["list"].pk])
    assert "Listed Leila" in client.get(url, {"q": "Leila"}).content.decode()
    client.post(reverse("marketing:segment_member_add", args=[tree["list"].pk]), {"customer": [customer.pk]})
    assert SegmentMember.objects.filter(segment=tree["list"], customer=customer).exists()
    client.post(reverse("marketing:segment_member_remove", args=[tree["list"].pk]), {"customer": [customer.pk]})
    assert not SegmentMember.objects.exists()


def test_a_rep_outside_the_team_cannot_be_added_by_a_manager(client_for, manager, outsider_rep, tree):
    hidden = CustomerFactory(owner=outsider_rep)
    client_for(manager).post(reverse("marketing:segment_member_add", args=[tree["list"].pk]), {"customer": [hidden.pk]})
    assert not SegmentMember.objects.exists()


def test_import_page_shows_row_errors_and_writes_nothing(client_for, marketer, tree):
    CustomerFactory(code="OK1")
    client = client_for(marketer)
    url = reverse("marketing:segment_member_import", args=[tree["list"].pk])
    response = client.post(url, {"file": workbook_bytes([["OK1"], ["MISSING"]])})
    assert response.status_code == 400
    assert "Row 3: no customer has the code or phone number" in response.content.decode()
    assert not SegmentMember.objects.exists()
    response = client.post(url, {"file": workbook_bytes([["OK1"]])})
    assert response.status_code == 302
    assert SegmentMember.objects.count() == 1


def test_delete_refused_then_allowed(client_for, marketer, tree):
    client = client_for(marketer)
    response = client.post(reverse("marketing:segment_delete", args=[tree["top"].pk]), follow=True)
    assert "sub-segment" in response.content.decode()
    assert Segment.objects.filter(pk=tree["top"].pk).exists()
    response = client.post(reverse("marketing:segment_delete", args=[tree["child"].pk]))
    assert response.status_code == 302
    assert not Segment.objects.filter(pk=tree["child"].pk).exists()


def test_recount_and_export(client_for, marketer, tree):
    CustomerFactory(province="tehran", code="X1", name="Exported Ela")
    segment_members_add(segment=tree["list"], customer_ids=[])
    client = client_for(marketer)
    client.post(reverse("marketing:segment_recount", args=[tree["top"].pk]))
    tree["top"].refresh_from_db()
    assert tree["top"].last_count == 1
    response = client.get(reverse("marketing:segment_export", args=[tree["top"].pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert [cell.value for cell in sheet[2]][:2] == ["X1", "Exported Ela"]


def test_new_child_segment_form_starts_under_the_parent(client_for, marketer, tree):
    response = client_for(marketer).get(reverse("marketing:segment_create"), {"parent": tree["top"].pk})
    assert response.context["form"].initial["parent"] == tree["top"].pk
    catalogue = response.context["catalogue"]
    assert {f["name"] for f in catalogue["fields"]} >= {"province", "group", "bought_product", "rfm_segment"}
