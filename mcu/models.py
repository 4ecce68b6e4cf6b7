"""The ground floor: municipalities, their districts and organisations, categories,
people and notifications. Imports no other app of the desk."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .choices import CaseKind, CategoryLevel, OrganisationKind, Role
from .querysets import MunicipalityQuerySet, ScopedQuerySet


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Неизвестный часовой пояс «%(tz)s»"), params={"tz": value})


_choice_labels: dict = {}


def choice_label(field, value):
    """The label of ``value`` among ``field``'s choices in the active language (the value
    itself when it is none of them): a table built once per process, field and language.
    Django's ``get_FOO_display`` builds a dict of every choice on each call, hashing each
    lazy label (a translation look-up apiece): forty calls made a third of a list page's
    CPU."""
    key = (field, get_language())
    labels = _choice_labels.get(key)
    if labels is None:
        labels = {make_hashable(v): str(label) for v, label in field.flatchoices}
        _choice_labels[key] = labels
    return labels.get(make_hashable(value), value)


class ChoiceLabels(models.Model):
    """``get_FOO_display`` through ``choice_label``."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        return choice_label(field, getattr(self, field.attname))


class Municipality(models.Model):
    """A municipality (or urban district) whose centre works in the desk."""

    name = models.CharField(_("название"), max_length=200, unique=True)
    slug = models.SlugField(_("код"), max_length=64, unique=True)
    region = models.CharField(_("субъект РФ"), max_length=200, db_index=True)
    timezone = models.CharField(
        _("часовой пояс"), max_length=64, default="Europe/Moscow", validators=[validate_timezone]
    )
    registration_prefix = models.CharField(
        _("префикс регистрационных номеров"), max_length=12, blank=True
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("муниципальное образование")
        verbose_name_plural = _("муниципальные образования")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class District(models.Model):
    """A district (микрорайон, посёлок) of a municipality, used for routing and heat maps."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="districts",
        verbose_name=_("муниципальное образование"),
    )
    name = models.CharField(_("название"), max_length=200)

    class Meta:
        verbose_name = _("район")
        verbose_name_plural = _("районы")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="district_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """An executor organisation: a department, a municipal enterprise, a managing company…"""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="organisations",
        verbose_name=_("муниципальное образование"),
    )
    name = models.CharField(_("наименование"), max_length=300)
    short_name = models.CharField(_("краткое наименование"), max_length=120, blank=True)
    kind = models.CharField(
        _("тип"), max_length=32, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("вышестоящая организация"),
    )
    phone = models.CharField(_("телефон"), max_length=64, blank=True)
    email = models.EmailField(_("электронная почта"), blank=True)
    address = models.CharField(_("адрес"), max_length=300, blank=True)
    is_active = models.BooleanField(_("действует"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("организацию-исполнителя")
        verbose_name_plural = _("организации-исполнители")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="organisation_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        if self.parent_id and self.parent.municipality_id != self.municipality_id:
            raise ValidationError(
                {"parent": _("Вышестоящая организация должна быть из того же МО.")}
            )


class CaseCopy(ChoiceLabels):
    """A row of a case (its clocks, answers, residents' feedback) that carries the case's
    municipality and executor organisation itself, so the analytics count a period's rows
    by their own index, without joining each to its case (``analytics.indicators``).

    ``Case.organisation`` stays the one definition of who is responsible for a case: these
    are copies, set when the row is made (``save``, or the bulk paths' constructors) and
    rewritten when the case's organisation changes (``cases.services.case_rows_follow``);
    ``tests/cases/test_case_copy.py`` checks them after every step. A case never moves to
    another municipality."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        editable=False,
        verbose_name=_("муниципальное образование"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        editable=False,
        verbose_name=_("организация-исполнитель"),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.municipality_id is None:
            self.copy_case()
        super().save(*args, **kwargs)

    def copy_case(self) -> None:
        """Take the municipality and organisation of the row's case (what is copied:
        ``save`` and the bulk paths, which bypass it, both call this)."""
        self.municipality_id = self.case.municipality_id
        self.organisation_id = self.case.organisation_id


class Category(models.Model):
    """Sector → category → subcategory (отраслевой блок → категория → подкатегория)."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("родитель"),
    )
    code = models.SlugField(_("код"), max_length=64, unique=True)
    name = models.CharField(_("название"), max_length=200)
    level = models.PositiveSmallIntegerField(
        _("уровень"), choices=CategoryLevel.choices, default=CategoryLevel.SECTOR, editable=False
    )
    sort_order = models.PositiveIntegerField(_("порядок"), default=0)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("категорию")
        verbose_name_plural = _("категории")
        ordering = ["level", "sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The level is derived from the parent, never typed in.
        self.level = (self.parent.level + 1) if self.parent_id else CategoryLevel.SECTOR
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.parent_id and self.parent.level >= CategoryLevel.SUBCATEGORY:
            raise ValidationError({"parent": _("Глубже подкатегории уровней нет.")})

    @staticmethod
    def tree() -> dict[int, tuple[int | None, str]]:
        """id → (parent id, name) of every category, in one query (a few hundred rows at
        most). The one walk of the tree: lineages, paths and subtrees are read from it."""
        return {
            pk: (parent, name)
            for pk, parent, name in Category.objects.values_list("pk", "parent_id", "name")
        }

    @staticmethod
    def lineage_of(category_id: int | None, tree: dict | None = None) -> list[int]:
        """The category and its ancestors, nearest first (``[]`` for None)."""
        if category_id is None:
            return []
        tree = Category.tree() if tree is None else tree
        ids, current = [], category_id
        # A guard against a cycle typed into the admin: the tree has three levels.
        while current is not None and current not in ids and len(ids) < 10:
            ids.append(current)
            current = tree.get(current, (None, ""))[0]
        return ids

    @staticmethod
    def subtree_of(category_ids, tree: dict | None = None) -> set[int]:
        """The categories and all their descendants (a sector finds its whole subtree)."""
        tree = Category.tree() if tree is None else tree
        children: dict[int | None, list[int]] = {}
        for pk, (parent, _name) in tree.items():
            children.setdefault(parent, []).append(pk)
        found, frontier = set(), [int(c) for c in category_ids]
        while frontier:
            node = frontier.pop()
            if node in found:
                continue
            found.add(node)
            frontier.extend(children.get(node, ()))
        return found

    def lineage_ids(self, tree: dict | None = None) -> list[int]:
        return Category.lineage_of(self.pk, tree)

    @property
    def sector(self) -> "Category":
        node = self
        while node.parent_id:
            node = node.parent
        return node

    @property
    def path(self) -> str:
        tree = Category.tree()
        names = [tree[pk][1] for pk in Category.lineage_of(self.pk, tree) if pk in tree]
        return " → ".join(reversed(names or [self.name]))


class User(AbstractUser):
    """A person of the desk with a role scoped to a municipality (DESIGN §1)."""

    role = models.CharField(_("роль"), max_length=20, choices=Role.choices, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("муниципальное образование"),
    )
    region = models.CharField(
        _("субъект РФ (для наблюдателя)"),
        max_length=200,
        blank=True,
        help_text=_("Наблюдатель ЦУР видит все МО этого субъекта."),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("организация (для исполнителя)"),
    )
    is_organisation_head = models.BooleanField(
        _("руководитель организации"),
        default=False,
        help_text=_("Получает эскалации просрочек своей организации."),
    )
    kinds = models.JSONField(
        _("координируемые виды сообщений"),
        default=list,
        blank=True,
        help_text=_("Для администратора: пусто — все виды."),
    )
    patronymic = models.CharField(_("отчество"), max_length=150, blank=True)
    phone = models.CharField(_("телефон"), max_length=64, blank=True)
    telegram_chat_id = models.CharField(_("Telegram chat id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("пользователя")
        verbose_name_plural = _("пользователи")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="executor") | Q(organisation__isnull=False),
                name="executor_has_organisation",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.role == Role.EXECUTOR and not self.organisation_id:
            errors["organisation"] = _("Исполнителю нужна организация.")
        if self.role == Role.OBSERVER and not (self.region or self.municipality_id):
            errors["region"] = _("Наблюдателю нужен субъект РФ.")
        if self.role and self.role != Role.OBSERVER and not self.municipality_id:
            errors["municipality"] = _("Укажите муниципальное образование.")
        if (
            self.organisation_id
            and self.municipality_id
            and self.organisation.municipality_id != self.municipality_id
        ):
            errors["organisation"] = _("Организация другого МО.")
        bad = [k for k in self.kinds or [] if k not in CaseKind.values]
        if bad:
            errors["kinds"] = _("Неизвестные виды: %(kinds)s") % {"kinds": ", ".join(bad)}
        if errors:
            raise ValidationError(errors)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p) or (
            self.username
        )

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    @property
    def observed_region(self) -> str:
        if self.region:
            return self.region
        return self.municipality.region if self.municipality_id else ""

    @property
    def coordinated_kinds(self) -> list[str]:
        """Kinds an administrator coordinates; an empty setting means all of them."""
        return list(self.kinds) if self.kinds else list(CaseKind.values)


class Notification(ChoiceLabels):
    """One message to one person. ``key`` is unique, so a job that runs twice sends once.

    The key names the event, the thing and the recipient, e.g.
    ``deadline.breach:1234:user:7`` (DESIGN §4 "Enforcement").
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("В системе")
        EMAIL = "email", _("Электронная почта")
        TELEGRAM = "telegram", _("Telegram")

    class Status(models.TextChoices):
        PENDING = "pending", _("Ожидает отправки")
        SENDING = "sending", _("Отправляется")
        SENT = "sent", _("Отправлено")
        FAILED = "failed", _("Ошибка")

    key = models.CharField(_("ключ"), max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("получатель"),
    )
    event = models.CharField(_("событие"), max_length=64)
    title = models.CharField(_("заголовок"), max_length=300)
    body = models.TextField(_("текст"), blank=True)
    url = models.CharField(_("ссылка"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    send_after = models.DateTimeField(
        _("отправить не раньше"),
        null=True,
        blank=True,
        help_text=_("Напоминания ждут рабочего времени получателя."),
    )
    read_at = models.DateTimeField(_("прочитано"), null=True, blank=True)
    email_status = models.CharField(_("e-mail"), max_length=10, choices=Status.choices, blank=True)
    telegram_status = models.CharField(
        _("Telegram"), max_length=10, choices=Status.choices, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    last_error = models.TextField(_("последняя ошибка"), blank=True)

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ApiTokenScope(models.TextChoices):
    """What a token opens: the desk's own API (ingest, cases) or the Open311 endpoints."""

    API = "api", _("API МЦУ (загрузка, сообщения)")
    OPEN311 = "open311", _("Open311 (GeoReport v2)")


class ApiToken(models.Model):
    """A credential of an integration account (DESIGN §1: the «integration» role).

    Only the key's first characters (``prefix``, to tell keys apart) and the SHA-256
    digest of the whole key are kept: the key itself is shown once, when it is issued,
    and is never stored (``mcu.tokens``). A rotated key stays valid for the grace period
    (``expires_at`` moves to the end of it) and points to the key that replaced it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("учётная запись"),
    )
    name = models.CharField(
        _("название"), max_length=100, help_text=_("Для кого или чего ключ, например «сервер ИМ»")
    )
    scope = models.CharField(
        _("назначение"), max_length=16, choices=ApiTokenScope.choices, default=ApiTokenScope.API
    )
    prefix = models.CharField(_("начало ключа"), max_length=16, db_index=True, editable=False)
    digest = models.CharField(_("SHA-256 ключа"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("выпущен"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кем выпущен"),
        editable=False,
    )
    expires_at = models.DateTimeField(
        _("действует до"), null=True, blank=True, help_text=_("Пусто — бессрочно.")
    )
    last_used_at = models.DateTimeField(
        _("последнее использование"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кем отозван"),
        editable=False,
    )
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("заменён ключом"),
        editable=False,
    )

    class Meta:
        verbose_name = _("ключ API")
        verbose_name_plural = _("ключи API")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def state(self, now=None) -> str:
        """``active``, ``grace`` (rotated, still valid), ``expired`` or ``revoked``."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.replaced_by_id is not None:
            return "grace"
        return "active"

    def is_valid(self, now=None) -> bool:
        return self.state(now) in ("active", "grace")


class ListSettings(models.Model):
    """A user's own choice for the case list (#11): rows per page and the columns hidden.
    Absent until the user changes something; the list's defaults apply until then."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="list_settings",
        verbose_name=_("пользователь"),
    )
    page_size = models.PositiveSmallIntegerField(_("строк на странице"), null=True, blank=True)
    hidden_columns = models.JSONField(_("скрытые столбцы"), default=list, blank=True)

    class Meta:
        verbose_name = _("настройки списка")
        verbose_name_plural = _("настройки списка")

    def __str__(self) -> str:
        return str(self.user)
