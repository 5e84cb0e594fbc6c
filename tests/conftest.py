"""Shared fixtures: settings safe for tests, and one persona per role.

Personas: ``admin``, ``manager`` (leads the Sales team), ``rep`` and ``rep2`` (Sales team),
``outsider_rep`` (another team), ``marketer``, ``agent``, ``contractor``.
"""

import pytest

from crm_site.access import Role
from crm_site.celery import app as celery_app
from crm_site.messaging import sms
from tests.factories import TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "crm_site.messaging.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _eager_celery():
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.sent.clear()
    yield
    sms.sent.clear()


@pytest.fixture
def sales_team(db):
    return TeamFactory(name="Sales")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="North")


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def manager(sales_team):
    user = UserFactory(username="manager", role=Role.MANAGER, team=sales_team)
    sales_team.manager = user
    sales_team.save()
    return user


@pytest.fixture
def rep(sales_team):
    return UserFactory(username="rep", role=Role.SALES_REP, team=sales_team)


@pytest.fixture
def rep2(sales_team):
    return UserFactory(username="rep2", role=Role.SALES_REP, team=sales_team)


@pytest.fixture
def outsider_rep(other_team):
    return UserFactory(username="outsider", role=Role.SALES_REP, team=other_team)


@pytest.fixture
def marketer(db):
    return UserFactory(username="marketer", role=Role.MARKETING)


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", role=Role.SERVICE_AGENT)


@pytest.fixture
def contractor(db):
    return UserFactory(username="contractor", role=Role.CONTRACTOR)


@pytest.fixture
def personas(admin, manager, rep, rep2, outsider_rep, marketer, agent, contractor):
    return {
        "admin": admin,
        "manager": manager,
        "rep": rep,
        "rep2": rep2,
        "outsider_rep": outsider_rep,
        "marketer": marketer,
        "agent": agent,
        "contractor": contractor,
    }


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login
