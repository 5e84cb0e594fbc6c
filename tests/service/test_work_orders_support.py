"""Fixtures and factories shared by the work order and portal tests (no tests of its own)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm_site.access import Role
from service.models import ContractorCompany, ContractorProfile, Skill, Ticket
from service.services.work_orders import work_order_issue
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def photo(name: str = "leak.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def make_contractor(username: str, *, company: str = "Fixit Co", skills=(), role=Role.CONTRACTOR, active=True):
    user = UserFactory(username=username, role=role, is_active=active)
    firm, _created = ContractorCompany.objects.get_or_create(name=company)
    profile = ContractorProfile.objects.create(user=user, company=firm)
    profile.skills.set(skills)
    return user


def make_ticket(owner, **kwargs) -> Ticket:
    customer = CustomerFactory(
        address="12 Valiasr St, unit 4",
        region="Vanak",
        postal_code="1234567890",
        phones=["+989121111111", "+989122222222"],
        emails=["secret.customer@example.com"],
    )
    return TicketFactory(
        owner=owner,
        customer=customer,
        status=Ticket.Status.OPEN,
        description="Private: the customer's dog bites, lives alone.",
        **kwargs,
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def service_team(db):
    return TeamFactory(name="Service desk")


@pytest.fixture
def desk_agent(agent, service_team):
    """The conftest agent, filed under the service team (the ticket's team)."""
    agent.team = service_team
    agent.save(update_fields=["team"])
    return agent


@pytest.fixture
def teammate(service_team):
    return UserFactory(username="teammate", role=Role.SERVICE_AGENT, team=service_team)


@pytest.fixture
def far_agent(db):
    return UserFactory(username="far_agent", role=Role.SERVICE_AGENT, team=TeamFactory(name="Far away"))


@pytest.fixture
def plumbing(db):
    return Skill.objects.get_or_create(name="Plumbing")[0]


@pytest.fixture
def worker(contractor, plumbing):
    """The conftest contractor with a company and a skill."""
    firm, _created = ContractorCompany.objects.get_or_create(name="Fixit Co")
    profile = ContractorProfile.objects.create(user=contractor, company=firm)
    profile.skills.set([plumbing])
    return contractor


@pytest.fixture
def other_worker(db):
    return make_contractor("other_worker", company="Rival Repairs")


@pytest.fixture
def ticket(desk_agent):
    return make_ticket(desk_agent)


@pytest.fixture
def order(ticket, worker, desk_agent):
    return work_order_issue(ticket=ticket, contractor=worker, by=desk_agent, instructions="Bring a 16mm seal.")
