"""Demo data: the plumbing's part (teams and one user per role) and the registry of app parts.

``manage.py seed_demo`` calls ``seed(ctx)`` from each installed app's ``demo`` module in
INSTALLED_APPS order (which follows the direction of imports, so customers exist before sales
adds orders). Each part gets its own random generator derived from the seed and its app label,
so adding data in one app never changes what another app generates. Parts insert in bulk.
"""

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from crm_site.access import Role
from crm_site.models import Team, User

DEMO_PASSWORD = "demo"  # noqa: S105 (documented demo logins)


@dataclass
class DemoContext:
    seed: int
    customers: int
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    # Lines the command prints at the end, e.g. the logins.
    summary: list[str] = field(default_factory=list)

    def rng_for(self, label: str) -> random.Random:
        return random.Random(f"{self.seed}:{label}")


# username, first name, last name, role, team, leads team
DEMO_USERS = [
    ("admin", "Ava", "Admin", Role.ADMIN, None, None),
    ("manager", "Mina", "Moradi", Role.MANAGER, "Sales", "Sales"),
    ("sales1", "Sara", "Sadeghi", Role.SALES_REP, "Sales", None),
    ("sales2", "Saeed", "Soltani", Role.SALES_REP, "Sales", None),
    ("marketing", "Maryam", "Karimi", Role.MARKETING, "Marketing", None),
    ("agent1", "Ali", "Ahmadi", Role.SERVICE_AGENT, "Service", None),
    ("contractor1", "Kamran", "Kazemi", Role.CONTRACTOR, None, None),
]
DEMO_TEAMS = ["Sales", "Marketing", "Service"]


def app_modules(name: str) -> list[tuple[str, ModuleType]]:
    """The ``<app>.<name>`` module of every installed app that has one, in INSTALLED_APPS order
    (``demo`` here, ``bench`` in crm_site/bench.py)."""
    modules = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as error:
            # Only a missing module means "this app has none"; a broken import inside it is a bug.
            if error.name != f"{config.name}.{name}":
                raise
            continue
        modules.append((config.label, module))
    return modules


def demo_parts() -> list[tuple[str, Callable[[DemoContext], None]]]:
    """Every installed app's ``demo.seed``, in INSTALLED_APPS order."""
    return [(label, module.seed) for label, module in app_modules("demo") if hasattr(module, "seed")]


def seed(ctx: DemoContext) -> None:
    """Teams and one user per role, all with the password "demo"."""
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is deliberately slow
    Team.objects.bulk_create([Team(name=name) for name in DEMO_TEAMS])
    ctx.teams = {team.name: team for team in Team.objects.filter(name__in=DEMO_TEAMS)}
    User.objects.bulk_create(
        [
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                password=password,
                team=ctx.teams.get(team) if team else None,
                phone=f"+98912000{index:04d}",
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            for index, (username, first, last, role, team, _leads) in enumerate(DEMO_USERS, start=1)
        ]
    )
    ctx.users = {user.username: user for user in User.objects.filter(username__in=[row[0] for row in DEMO_USERS])}
    groups = {group.name: group for group in Group.objects.filter(name__in=[role.value for role in Role])}
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=ctx.users[row[0]].pk, group_id=groups[row[3].value].pk) for row in DEMO_USERS]
    )
    for username, *_rest, leads in DEMO_USERS:
        if leads:
            Team.objects.filter(pk=ctx.teams[leads].pk).update(manager=ctx.users[username])
    ctx.summary.append("Logins (password for all: demo):")
    ctx.summary.extend(f"  {row[0]:<12} {row[3].value}" for row in DEMO_USERS)
