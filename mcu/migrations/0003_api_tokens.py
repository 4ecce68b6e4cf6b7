"""API keys kept hashed (mcu.tokens), and the keys of DRF's ``authtoken`` moved into them.

Until now integration accounts authenticated with ``rest_framework.authtoken``, whose
table holds every key in the clear. Each of those keys becomes an ``ApiToken`` of scope
``api`` with the digest of the same key, so every integration keeps working with the key
it has; its term is open (no expiry), as it was, until the head rotates it. Then the old
table is dropped, and with it the last copy of the keys in the clear (the app is no longer
installed, so nothing else would ever remove it).

There is no way back: the keys in the clear are gone. Unapplying this migration only
removes the new table.
"""

import datetime as dt
import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

LEGACY_TABLE = "authtoken_token"
SHOWN_CHARS = 8


def _aware(value):
    # SQLite hands a raw cursor the text of the column, in UTC.
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def legacy_keys_convert(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("mcu", "ApiToken")
    quoted = connection.ops.quote_name(LEGACY_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {quoted}")
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                name="Ключ authtoken (перенесён)",
                scope="api",
                prefix=key[:SHOWN_CHARS],
                digest=hashlib.sha256(key.encode("utf-8")).hexdigest(),
                created_at=_aware(created) or django.utils.timezone.now(),
            )
            for key, user_id, created in rows
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {quoted}")
        # As if the app had never been installed: re-adding it would create its table.
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("mcu", "0002_notification_sending_status"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="Для кого или чего ключ, например «сервер ИМ»",
                        max_length=100,
                        verbose_name="название",
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("api", "API МЦУ (загрузка, сообщения)"),
                            ("open311", "Open311 (GeoReport v2)"),
                        ],
                        default="api",
                        max_length=16,
                        verbose_name="назначение",
                    ),
                ),
                (
                    "prefix",
                    models.CharField(
                        db_index=True, editable=False, max_length=16, verbose_name="начало ключа"
                    ),
                ),
                (
                    "digest",
                    models.CharField(
                        editable=False, max_length=64, unique=True, verbose_name="SHA-256 ключа"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="выпущен"
                    ),
                ),
                (
                    "expires_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="Пусто — бессрочно.",
                        null=True,
                        verbose_name="действует до",
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True,
                        editable=False,
                        null=True,
                        verbose_name="последнее использование",
                    ),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="отозван"
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="кем выпущен",
                    ),
                ),
                (
                    "replaced_by",
                    models.OneToOneField(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replaces",
                        to="mcu.apitoken",
                        verbose_name="заменён ключом",
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="кем отозван",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="учётная запись",
                    ),
                ),
            ],
            options={
                "verbose_name": "ключ API",
                "verbose_name_plural": "ключи API",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.RunPython(legacy_keys_convert, migrations.RunPython.noop, elidable=False),
    ]
