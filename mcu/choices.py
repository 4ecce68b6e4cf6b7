"""Choices of the ground floor: roles and the kinds of cases they coordinate."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """DESIGN §1: who uses the desk."""

    CURATOR = "curator", _("Куратор")
    HEAD = "head", _("Руководитель МЦУ")
    ADMINISTRATOR = "administrator", _("Администратор МЦУ")
    EXECUTOR = "executor", _("Исполнитель")
    OBSERVER = "observer", _("Наблюдатель (ЦУР)")
    INTEGRATION = "integration", _("Интеграция (API)")


class CaseKind(models.TextChoices):
    """DESIGN §2: the kind decides the workflow and the deadline rules."""

    INCIDENT = "incident", _("Инцидент (соцсети)")
    POS = "pos", _("Сообщение ПОС")
    APPEAL = "appeal", _("Обращение (59-ФЗ)")
    HOTLINE = "hotline", _("Телефон доверия")


class OrganisationKind(models.TextChoices):
    DEPARTMENT = "department", _("Структурное подразделение администрации")
    INSTITUTION = "institution", _("Муниципальное учреждение")
    ENTERPRISE = "enterprise", _("Муниципальное предприятие")
    MANAGING_COMPANY = "managing_company", _("Управляющая компания")
    RESOURCE_SUPPLIER = "resource_supplier", _("Ресурсоснабжающая организация")
    STATE = "state", _("Государственное учреждение")
    OTHER = "other", _("Иная организация")


class CategoryLevel(models.IntegerChoices):
    SECTOR = 1, _("Отраслевой блок")
    CATEGORY = 2, _("Категория")
    SUBCATEGORY = 3, _("Подкатегория")
