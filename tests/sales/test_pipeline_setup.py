"""Setup of pipelines, stages and loss reasons: managers and admins only; nothing half-written."""

import pytest
from django.urls import reverse

from sales.models import LossReason, Pipeline, Stage
from sales.services.pipeline_setup import stage_delete
from tests.sales.factories import OpportunityFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_managers_and_admins_use_the_setup_pages(persona, personas, client_for):
    client = client_for(personas[persona])
    assert client.get(reverse("sales:pipeline_setup")).status_code == 200
    assert client.get(reverse("sales:pipeline_setup_detail", args=[default_pipeline().pk])).status_code == 200
    assert client.get(reverse("sales:loss_reason_list")).status_code == 200


@pytest.mark.parametrize("persona", ["rep", "marketer", "agent", "contractor"])
def test_everyone_else_is_refused(persona, personas, client_for):
    client = client_for(personas[persona])
    pipeline = default_pipeline()
    new = stage("New")
    assert client.get(reverse("sales:pipeline_setup")).status_code == 403
    assert client.post(reverse("sales:pipeline_setup"), {"name": "Sneaky"}).status_code == 403
    assert client.get(reverse("sales:loss_reason_list")).status_code == 403
    assert client.post(reverse("sales:stage_edit", args=[new.pk]), {"s1-name": "X"}).status_code == 403
    assert client.post(reverse("sales:stage_delete", args=[new.pk])).status_code == 403
    assert client.post(reverse("sales:pipeline_set_active", args=[pipeline.pk])).status_code == 403
    assert not Pipeline.objects.filter(name="Sneaky").exists()
    assert Stage.objects.filter(pk=new.pk, name="New").exists()


def test_a_pipeline_is_created_renamed_made_default_and_deactivated(manager, client_for):
    client = client_for(manager)
    response = client.post(reverse("sales:pipeline_setup"), {"name": "Projects"})
    projects = Pipeline.objects.get(name="Projects")
    assert response.url == reverse("sales:pipeline_setup_detail", args=[projects.pk])
    assert client.post(reverse("sales:pipeline_setup"), {"name": "Projects"}).status_code == 200  # duplicate name
    assert Pipeline.objects.filter(name="Projects").count() == 1

    client.post(reverse("sales:pipeline_setup_detail", args=[projects.pk]), {"pipeline-name": "Big projects"})
    projects.refresh_from_db()
    assert projects.name == "Big projects"

    # The default cannot be deactivated; another must be made default first.
    sales = default_pipeline()
    client.post(reverse("sales:pipeline_set_active", args=[sales.pk]))
    sales.refresh_from_db()
    assert sales.is_active
    client.post(reverse("sales:pipeline_set_default", args=[projects.pk]))
    assert Pipeline.objects.get(is_default=True) == projects
    client.post(reverse("sales:pipeline_set_active", args=[sales.pk]))
    sales.refresh_from_db()
    assert not sales.is_active
    client.post(reverse("sales:pipeline_set_active", args=[sales.pk]), {"value": "on"})
    sales.refresh_from_db()
    assert sales.is_active


def test_stages_are_added_edited_reordered_and_deleted_when_unused(manager, client_for):
    client = client_for(manager)
    pipeline = default_pipeline()
    url = reverse("sales:stage_create", args=[pipeline.pk])
    response = client.post(url, {"new-name": "Demo", "new-kind": "open", "new-probability": "40", "new-rot_days": "5"})
    assert response.status_code == 302
    demo = Stage.objects.get(pipeline=pipeline, name="Demo")
    assert (demo.probability, demo.rot_days, demo.order) == (40, 5, 6)

    bad = client.post(url, {"new-name": "Won again", "new-kind": "won", "new-probability": "100", "new-rot_days": "3"})
    assert bad.status_code == 400 and "rot_days" in bad.context["stage_form"].errors
    assert client.post(url, {"new-name": "Odds", "new-kind": "open", "new-probability": "150"}).status_code == 400
    assert client.post(url, {"new-name": "New", "new-kind": "open", "new-probability": "5"}).status_code == 400
    assert not Stage.objects.filter(name__in=["Won again", "Odds"]).exists()
    assert Stage.objects.filter(pipeline=pipeline, name="New").count() == 1

    edit = reverse("sales:stage_edit", args=[demo.pk])
    prefix = f"s{demo.pk}"
    data = {f"{prefix}-name": "Live demo", f"{prefix}-kind": "open", f"{prefix}-probability": "45"}
    assert client.post(edit, data).status_code == 302
    demo.refresh_from_db()
    assert (demo.name, demo.probability, demo.rot_days) == ("Live demo", 45, None)

    client.post(reverse("sales:stage_move", args=[demo.pk]), {"direction": "up"})
    names = list(pipeline.stages.order_by("order").values_list("name", flat=True))
    assert names == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Live demo", "Lost"]

    assert client.post(reverse("sales:stage_delete", args=[demo.pk])).status_code == 302
    assert not Stage.objects.filter(pk=demo.pk).exists()


def test_a_stage_in_use_is_not_deleted_nor_its_kind_changed(manager, client_for):
    OpportunityFactory(stage=stage("Qualified"))
    client = client_for(manager)
    qualified = stage("Qualified")
    client.post(reverse("sales:stage_delete", args=[qualified.pk]))
    assert Stage.objects.filter(pk=qualified.pk).exists()
    prefix = f"s{qualified.pk}"
    response = client.post(
        reverse("sales:stage_edit", args=[qualified.pk]),
        {f"{prefix}-name": "Qualified", f"{prefix}-kind": "won", f"{prefix}-probability": "100"},
    )
    assert response.status_code == 400
    qualified.refresh_from_db()
    assert qualified.kind == "open"


def test_the_last_open_stage_cannot_be_deleted():
    pipeline = Pipeline.objects.create(name="Tiny")
    only = Stage.objects.create(pipeline=pipeline, name="Only", kind="open")
    with pytest.raises(Exception, match="at least one open stage"):
        stage_delete(stage=only)


def test_loss_reasons_are_added_and_retired(manager, rep, client_for):
    client = client_for(manager)
    assert client.post(reverse("sales:loss_reason_list"), {"name": "Went quiet"}).status_code == 302
    reason = LossReason.objects.get(name="Went quiet")
    assert client.post(reverse("sales:loss_reason_list"), {"name": "Went quiet"}).status_code == 400
    assert client.post(reverse("sales:loss_reason_list"), {"name": ""}).status_code == 400
    client.post(reverse("sales:loss_reason_set_active", args=[reason.pk]))
    reason.refresh_from_db()
    assert not reason.is_active
    # A retired reason is no longer offered when losing a deal.
    opportunity = OpportunityFactory(owner=rep)
    page = client_for(rep).get(reverse("sales:opportunity_detail", args=[opportunity.pk])).content.decode()
    assert "Went quiet" not in page and "No budget" in page
