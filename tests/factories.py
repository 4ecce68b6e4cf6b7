"""factory_boy factories for the desk's models."""

import factory
from django.utils import timezone

from cases.models import Case
from mcu.choices import Role
from mcu.models import Category, District, Municipality, Organisation, User


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Город {n}")
    slug = factory.Sequence(lambda n: f"city-{n}")
    region = "Кемеровская область — Кузбасс"
    timezone = "Asia/Novokuznetsk"
    registration_prefix = factory.Sequence(lambda n: f"Г{n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"Район {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"Организация {n}")
    kind = "department"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Категория {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Иван"
    last_name = factory.Sequence(lambda n: f"Тестов{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.ADMINISTRATOR
    municipality = factory.SubFactory(MunicipalityFactory)
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    municipality = factory.SubFactory(MunicipalityFactory)
    kind = "incident"
    channel = "vk"
    text = factory.Sequence(lambda n: f"Яма на дороге у дома {n}")
    received_at = factory.LazyFunction(timezone.now)
    registration_number = factory.Sequence(lambda n: f"T-{n:05d}")
    search_text = factory.LazyAttribute(lambda c: c.text.lower().replace("ё", "е"))


def api_key_for(user, scope: str = "api", **kwargs) -> str:
    """A fresh API key of an integration account (mcu.tokens), in the clear for the test."""
    from mcu.tokens import api_token_create

    _token, key = api_token_create(user=user, name="Тест", scope=scope, **kwargs)
    return key
