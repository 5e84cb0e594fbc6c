"""factory-boy factories shared by every app's tests."""

import factory
from django.contrib.auth.models import Group

from crm_site.access import Role
from crm_site.models import Notification, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted: Role | None, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Notification {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer made through the model (fast); use customers.services.customer_create in tests
    of the services themselves. ``phones``/``emails`` take lists of already-normalised values."""

    class Meta:
        model = "customers.Customer"
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Faker("name")
    name_key = factory.LazyAttribute(lambda c: c.name.casefold())
    city = "Tehran"
    province = "tehran"
    status = "active"

    @factory.post_generation
    def phones(self, create, extracted, **kwargs):
        if create and extracted:
            from customers.models import CustomerPhone

            for index, number in enumerate(extracted):
                CustomerPhone.objects.create(customer=self, number=number, is_primary=index == 0)
            self.phone = extracted[0]

    @factory.post_generation
    def emails(self, create, extracted, **kwargs):
        if create and extracted:
            from customers.models import CustomerEmail

            for index, address in enumerate(extracted):
                CustomerEmail.objects.create(customer=self, address=address, is_primary=index == 0)
            self.email = extracted[0]

    @factory.post_generation
    def refresh(self, create, extracted, **kwargs):
        if create:
            from customers.services import customers_refresh_derived

            customers_refresh_derived(customer_ids=[self.pk])
            self.refresh_from_db()
