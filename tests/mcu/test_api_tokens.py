"""API keys (mcu/tokens.py): kept hashed, expiring, revocable, rotated with a grace
period, managed by the head for their municipality's integrations on «Интеграции» and in
the admin; DRF's authtoken keys carried over by migration 0003; never in a log."""

import datetime as dt
import hashlib
import importlib
import logging

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from mcu.exceptions import NotAllowed, NotFound, StateConflict
from mcu.logs import RedactSecrets
from mcu.models import ApiToken
from mcu.tokens import (
    LAST_USED_PRECISION,
    api_token_create,
    api_token_issue,
    api_token_revoke,
    api_token_rotate,
    key_digest,
)
from tests.factories import UserFactory

CASES = "/api/v1/cases/"


@pytest.fixture
def head(world):
    return world.users["head"]


@pytest.fixture
def integration(world):
    return world.users["integration"]


@pytest.fixture
def foreign_integration(world):
    return UserFactory(username="saratov-im", role="integration", municipality=world.mun_other)


def call(key, path=CASES):
    return APIClient().get(path, HTTP_AUTHORIZATION=f"Token {key}")


def _all_text_in_the_database() -> str:
    """Every text column of every table, as the database holds it."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(str(v) for row in cursor.fetchall() for v in row if v is not None)
    return "\n".join(chunks)


# ---------------------------------------------------------------------------------------
# Hashing
# ---------------------------------------------------------------------------------------


def test_the_database_keeps_a_prefix_and_a_digest_never_the_key(head, integration):
    token, key = api_token_issue(actor=head, user=integration, name="сервер ИМ")
    assert key.startswith("mcu_") and len(key) >= 50
    assert token.prefix == key[:12]
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in _all_text_in_the_database()
    assert key[12:] not in _all_text_in_the_database()
    assert call(key).status_code == 200


def test_keys_are_random_and_a_key_is_found_only_by_its_whole_value(head, integration):
    keys = {api_token_issue(actor=head, user=integration, name=f"k{i}")[1] for i in range(5)}
    assert len(keys) == 5
    key = keys.pop()
    assert call(key[:-1]).status_code == 401
    assert call(key + "x").status_code == 401
    assert call(key.upper()).status_code == 401
    assert call(key).status_code == 200


def test_last_use_is_recorded_at_most_once_a_minute(head, integration):
    token, key = api_token_issue(actor=head, user=integration, name="ИМ")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        call(key)
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + LAST_USED_PRECISION / 2, tick=False):
        call(key)
        token.refresh_from_db()
        assert token.last_used_at == start
    later = start + LAST_USED_PRECISION * 2
    with time_machine.travel(later, tick=False):
        call(key)
        token.refresh_from_db()
        assert token.last_used_at == later


# ---------------------------------------------------------------------------------------
# Expiry, revocation, rotation
# ---------------------------------------------------------------------------------------


def _refusal(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    return response.json()["detail"]


def test_an_expired_a_revoked_and_an_unknown_key_get_the_same_401(head, integration):
    issued_at = timezone.now() - dt.timedelta(days=40)
    _old, expired = api_token_create(
        user=integration, name="старый", lifetime=dt.timedelta(days=30), at=issued_at
    )
    token, revoked = api_token_issue(actor=head, user=integration, name="отозван")
    api_token_revoke(actor=head, pk=token.pk)
    messages = {
        _refusal(call(expired)),
        _refusal(call(revoked)),
        _refusal(call("mcu_" + "0" * 54)),
        _refusal(call("x" * 500)),
    }
    assert messages == {"Неверный или недействующий ключ API."}


def test_a_key_works_until_its_term_and_not_a_second_after(head, integration):
    token, key = api_token_issue(
        actor=head, user=integration, name="ИМ", lifetime=dt.timedelta(days=30)
    )
    with time_machine.travel(token.expires_at - dt.timedelta(seconds=1), tick=False):
        assert call(key).status_code == 200
    with time_machine.travel(token.expires_at, tick=False):
        assert call(key).status_code == 401


def test_a_key_of_a_deactivated_account_is_refused(head, integration):
    _token, key = api_token_issue(actor=head, user=integration, name="ИМ")
    integration.is_active = False
    integration.save(update_fields=["is_active"])
    assert _refusal(call(key)) == "Неверный или недействующий ключ API."


def test_rotation_issues_a_new_key_and_keeps_the_old_one_for_the_grace(head, integration, settings):
    settings.API_TOKEN_ROTATION_GRACE_HOURS = 6
    old, old_key = api_token_issue(actor=head, user=integration, name="ИМ")
    at = timezone.now()
    new, new_key = api_token_rotate(actor=head, pk=old.pk, at=at)
    old.refresh_from_db()
    assert old.replaced_by == new and old.state(at) == "grace"
    assert old.expires_at == at + dt.timedelta(hours=6)
    assert (new.name, new.scope, new.user) == (old.name, old.scope, old.user)
    assert new.expires_at - new.created_at == dt.timedelta(days=365)
    assert call(old_key).status_code == 200 and call(new_key).status_code == 200
    with time_machine.travel(at + dt.timedelta(hours=6, seconds=1), tick=False):
        assert call(old_key).status_code == 401
        assert call(new_key).status_code == 200
    # A replaced key is not rotated again; revoking it stops it at once.
    with pytest.raises(StateConflict):
        api_token_rotate(actor=head, pk=old.pk)
    api_token_revoke(actor=head, pk=old.pk)
    assert call(old_key).status_code == 401
    with pytest.raises(StateConflict):
        api_token_revoke(actor=head, pk=old.pk)


def test_the_grace_never_outlives_the_old_keys_own_term(head, integration):
    old, _key = api_token_issue(
        actor=head, user=integration, name="ИМ", lifetime=dt.timedelta(hours=2)
    )
    _new, _new_key = api_token_rotate(actor=head, pk=old.pk)
    before = old.expires_at
    old.refresh_from_db()
    assert old.expires_at == before


def test_every_change_is_in_the_admin_history_without_the_key(head, integration):
    token, key = api_token_issue(actor=head, user=integration, name="ИМ")
    new, new_key = api_token_rotate(actor=head, pk=token.pk)
    api_token_revoke(actor=head, pk=new.pk)
    entries = LogEntry.objects.filter(content_type__model="apitoken").order_by("pk")
    messages = [e.change_message for e in entries]
    assert len(messages) == 4 and all(e.user_id == head.pk for e in entries)
    assert messages[0].startswith(f"Выпущен ключ {token.prefix}…")
    assert "отозван" in messages[-1]
    assert not any(key in m or new_key in m for m in messages)


# ---------------------------------------------------------------------------------------
# Who manages keys
# ---------------------------------------------------------------------------------------


def test_only_the_head_of_the_accounts_municipality_manages_its_keys(
    world, head, integration, foreign_integration
):
    for actor in ("curator", "administrator", "executor", "observer", "integration"):
        with pytest.raises(NotAllowed):
            api_token_issue(actor=world.users[actor], user=integration, name="x")
    with pytest.raises(NotAllowed):
        api_token_issue(actor=head, user=foreign_integration, name="x")
    with pytest.raises(NotAllowed):  # staff get no keys from the head
        api_token_issue(actor=head, user=world.users["administrator"], name="x")
    theirs, _ = api_token_create(user=foreign_integration, name="Саратов")
    with pytest.raises(NotFound):
        api_token_revoke(actor=head, pk=theirs.pk)
    with pytest.raises(NotFound):
        api_token_rotate(actor=head, pk=theirs.pk)


def _page(client, user):
    client.force_login(user)
    return client.get("/integrations/")


def test_the_page_lists_the_municipalitys_integrations_only(
    client, head, integration, foreign_integration
):
    mine, _ = api_token_issue(actor=head, user=integration, name="сервер ИМ")
    theirs, _ = api_token_create(user=foreign_integration, name="Саратовский ключ")
    response = _page(client, head)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Интеграции" in page and mine.prefix in page and "сервер ИМ" in page
    assert theirs.prefix not in page and "Саратовский ключ" not in page and "saratov-im" not in page
    assert mine.digest not in page


@pytest.mark.parametrize("persona", ["curator", "administrator", "executor", "observer"])
def test_the_page_and_its_actions_are_the_heads(client, world, head, integration, persona):
    token, key = api_token_issue(actor=head, user=integration, name="ИМ")
    client.force_login(world.users[persona])
    assert client.get("/integrations/").status_code == 403
    data = {"user": integration.pk, "name": "x", "scope": "api", "lifetime_days": 30}
    assert client.post("/integrations/issue/", data).status_code == 403
    assert client.post(f"/integrations/{token.pk}/rotate/").status_code == 403
    assert client.post(f"/integrations/{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.count() == 1 and call(key).status_code == 200


def test_the_head_issues_a_key_that_is_shown_once(client, head, integration):
    client.force_login(head)
    data = {"user": integration.pk, "name": "портал", "scope": "open311", "lifetime_days": 90}
    response = client.post("/integrations/issue/", data)
    assert response.status_code == 201
    token = ApiToken.objects.get()
    assert (token.scope, token.name, token.created_by) == ("open311", "портал", head)
    assert token.expires_at - token.created_at == dt.timedelta(days=90)
    key = response.context["issued"]["key"]
    assert key in response.content.decode() and key_digest(key) == token.digest
    assert response["Cache-Control"] == "private, no-store"
    # Not in the session, not on the next page.
    assert key not in str(dict(client.session))
    assert key not in client.get("/integrations/").content.decode()


def test_the_issue_form_names_the_bad_field_and_offers_only_own_integrations(
    client, head, integration, foreign_integration
):
    client.force_login(head)
    response = client.post(
        "/integrations/issue/",
        {"user": foreign_integration.pk, "name": "", "scope": "api", "lifetime_days": 30},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"user", "name"}
    assert list(form.fields["user"].queryset) == [integration]
    assert not ApiToken.objects.exists()


def test_the_head_rotates_and_revokes_from_the_page(client, head, integration):
    token, old_key = api_token_issue(actor=head, user=integration, name="ИМ")
    client.force_login(head)
    response = client.post(f"/integrations/{token.pk}/rotate/")
    assert response.status_code == 200
    new_key = response.context["issued"]["key"]
    page = response.content.decode()
    assert new_key in page and "Старый ключ" in page
    assert call(old_key).status_code == 200 and call(new_key).status_code == 200
    again = client.post(f"/integrations/{token.pk}/rotate/", follow=True)
    assert "уже заменён" in again.content.decode()
    new = ApiToken.objects.get(replaced_by__isnull=True)
    response = client.post(f"/integrations/{new.pk}/revoke/", follow=True)
    assert "отозван" in response.content.decode()
    assert call(new_key).status_code == 401
    assert client.post("/integrations/999999/revoke/").status_code == 404


def test_the_head_manages_keys_in_the_admin_too(client, world, head, integration):
    from mcu.admin import ApiTokenAdmin  # noqa: F401  (registered)

    foreign = UserFactory(role="integration", municipality=world.mun_other)
    theirs, _ = api_token_create(user=foreign, name="чужой")
    head.is_staff = True
    head.save(update_fields=["is_staff"])
    client.force_login(head)
    changelist = client.get("/admin/mcu/apitoken/")
    assert changelist.status_code == 200
    assert theirs.prefix not in changelist.content.decode()
    add = client.get("/admin/mcu/apitoken/add/")
    assert list(add.context["adminform"].form.fields["user"].queryset) == [integration]
    response = client.post(
        "/admin/mcu/apitoken/add/", {"user": integration.pk, "name": "из админки", "scope": "api"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="из админки")
    key = next(k for t, k in response.context["issued"] if t.pk == token.pk)
    assert key in response.content.decode() and call(key).status_code == 200
    assert LogEntry.objects.filter(object_id=str(token.pk)).count() == 1
    response = client.post(
        "/admin/mcu/apitoken/",
        {"action": "revoke_selected", "_selected_action": [token.pk, theirs.pk]},
    )
    assert call(key).status_code == 401
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.get(f"/admin/mcu/apitoken/{token.pk}/delete/").status_code == 403


# ---------------------------------------------------------------------------------------
# The data migration and the logs
# ---------------------------------------------------------------------------------------


def test_the_migration_turns_authtoken_keys_into_hashed_ones_and_drops_them(integration):
    migration = importlib.import_module("mcu.migrations.0003_api_tokens")
    legacy = "401f7ac837da42b97f613d789819ff93537bee6a"
    created = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id bigint NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [
                legacy,
                created if connection.vendor == "postgresql" else "2026-01-15 09:30:00",
                integration.pk,
            ],
        )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    from django.apps import apps

    migration.legacy_keys_convert(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=integration)
    assert (token.scope, token.prefix, token.expires_at) == ("api", legacy[:8], None)
    assert token.digest == hashlib.sha256(legacy.encode()).hexdigest()
    assert token.created_at == created
    assert legacy not in _all_text_in_the_database()
    # The integration goes on with the key it has.
    assert call(legacy).status_code == 200


def test_the_migration_does_nothing_without_the_old_table(db):
    migration = importlib.import_module("mcu.migrations.0003_api_tokens")
    from django.apps import apps

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.legacy_keys_convert(apps, editor)
    assert not ApiToken.objects.exists()


def test_keys_never_reach_a_log(head, integration, caplog):
    _token, key = api_token_issue(actor=head, user=integration, name="ИМ")
    line = f"GET /open311/v2/requests.json?api_key={key}&status=open HTTP/1.1"
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (line, 200, 12), None
    )
    header = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "headers: %s", ({"Authorization": f"Token {key}"},), None
    )
    old = "401f7ac837da42b97f613d789819ff93537bee6a"
    legacy = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "Authorization: Token %s", (old,), None
    )
    for rec in (record, header, legacy):
        assert RedactSecrets().filter(rec) is True
        assert key not in rec.getMessage() and "401f7ac8" not in rec.getMessage()
        assert "[скрыто]" in rec.getMessage()
    assert "status=open" in record.getMessage()


def test_the_desks_log_handler_carries_the_filter():
    from mcu.settings import base

    assert "redact_secrets" in base.LOGGING["handlers"]["console"]["filters"]
    assert base.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]


def test_an_operator_issues_a_key_from_the_command_line(integration, capsys):
    from django.core.management import CommandError, call_command

    call_command(
        "api_token_issue", "integration", "--name", "ИМ", "--scope", "open311", "--days", "7"
    )
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=integration)
    assert key_digest(key) == token.digest and token.scope == "open311"
    assert token.expires_at - token.created_at == dt.timedelta(days=7)
    with pytest.raises(CommandError):
        call_command("api_token_issue", "administrator", "--name", "x")
