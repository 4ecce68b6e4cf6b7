"""API keys of integration accounts: issued, checked, rotated and revoked here only.

A key is ``mcu_`` and 54 random URL-safe characters (320 bits from ``secrets``). The
database keeps its first characters (to tell keys apart on the «Интеграции» page) and
the SHA-256 digest of the whole key, found through a unique index: the key itself is
shown once, in the answer that issues it, and is never stored — not in the database,
the session, a message or a log. A digest without a salt is enough for a secret of this
entropy (a password would need a slow hash); a leaked table gives no usable key.

A request carries the key as ``Authorization: Token <key>`` (``ApiTokenAuthentication``,
the desk's API) or as the ``api_key`` parameter of the GeoReport v2 spec (Open311). An
unknown, expired, revoked or rotated-out key, a key of another scope and a key of a
deactivated account all get the same answer: 401 with ``WWW-Authenticate: Token`` and a
message that says which of them it was to nobody.

Who manages keys: a superuser, and the head of a centre for the integration accounts of
their own municipality (DESIGN §1: the head «manages staff»). Every issue, rotation and
revocation is a line in the admin's history (``LogEntry``) of the key, naming the key by
its prefix.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .choices import Role
from .exceptions import InvalidInput, NotAllowed, NotFound, StateConflict
from .models import ApiToken, ApiTokenScope, User

__all__ = [
    "ApiTokenAuthentication",
    "api_token_authenticate",
    "api_token_create",
    "api_token_get_for_manager",
    "api_token_issue",
    "api_token_revoke",
    "api_token_rotate",
    "api_tokens_managed_by",
    "integration_users_managed_by",
    "key_digest",
]

KEY_PREFIX = "mcu_"
#: characters of a key kept in the clear to tell keys apart: ``mcu_`` and 8 random ones
SHOWN_CHARS = 12
#: no key of ours is longer; a longer «key» is not even hashed
MAX_KEY_CHARS = 200
#: ``last_used_at`` is written at most once a minute per key: an integration sending 300
#: requests a second costs one UPDATE a minute, not 300 a second.
LAST_USED_PRECISION = timedelta(minutes=1)
GENERIC_REFUSAL = gettext_lazy("Неверный или недействующий ключ API.")


def key_new() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(40)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def default_lifetime() -> timedelta:
    return timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


def rotation_grace() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_ROTATION_GRACE_HOURS)


# ---------------------------------------------------------------------------------------
# Who manages whose keys
# ---------------------------------------------------------------------------------------


def _is_head(user) -> bool:
    return bool(
        user and user.is_authenticated and user.has_role(Role.HEAD) and user.municipality_id
    )


def may_manage_tokens(user) -> bool:
    """The «Интеграции» page and its actions: the head of a centre (and superusers)."""
    return bool(user and user.is_authenticated and (user.is_superuser or _is_head(user)))


def integration_users_managed_by(actor) -> QuerySet[User]:
    """The integration accounts whose keys ``actor`` manages: their municipality's."""
    users = User.objects.filter(role=Role.INTEGRATION).select_related("municipality")
    if actor.is_superuser:
        return users
    if not _is_head(actor):
        return users.none()
    return users.filter(municipality_id=actor.municipality_id)


def api_tokens_managed_by(actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user__in=integration_users_managed_by(actor)).select_related(
        "user", "created_by", "replaced_by"
    )


def api_token_get_for_manager(actor, pk, *, for_update: bool = False) -> ApiToken:
    """The only way from a pk to a key for a manager: 404 outside their scope."""
    tokens = api_tokens_managed_by(actor)
    if for_update:
        tokens = tokens.select_for_update(of=("self",))
    try:
        return tokens.get(pk=int(pk))
    except (ApiToken.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _check_manager(actor, user) -> None:
    if not may_manage_tokens(actor):
        raise NotAllowed(_("Ключами API управляет руководитель МЦУ."))
    if not integration_users_managed_by(actor).filter(pk=user.pk).exists():
        raise NotAllowed(
            _("Ключи выдаются только учётным записям интеграций своего МО."), field="user"
        )


def _log(actor, token: ApiToken, flag: int, message: str) -> None:
    # The admin's history of the key: what was done, by whom, when; never the key.
    LogEntry.objects.log_actions(
        user_id=actor.pk, queryset=[token], action_flag=flag, change_message=message
    )


def _date(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%d.%m.%Y %H:%M") if at else _("бессрочно")


# ---------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------


def _create(
    *, user, name: str, scope: str, actor, expires_at, at: datetime
) -> tuple[ApiToken, str]:
    key = key_new()
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        prefix=key[:SHOWN_CHARS],
        digest=key_digest(key),
        created_at=at,
        created_by=actor if actor and actor.pk else None,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_create(
    *,
    user,
    name: str,
    scope: str = ApiTokenScope.API,
    lifetime: timedelta | None = None,
    actor=None,
    at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a key without asking who may: for callers that have decided that already
    (``api_token_issue`` for people, ``manage.py api_token_issue`` run by an operator,
    ``seed_demo``). Returns the row and the key; logged when there is an ``actor``.
    Any account may hold a key here; what it may do with it is its role's business
    (an account whose role changed keeps a key that opens nothing of the new role's)."""
    at = at or timezone.now()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Назовите ключ: для кого или чего он."), field="name")
    if scope not in ApiTokenScope.values:
        raise InvalidInput(_("Неизвестное назначение ключа."), field="scope")
    lifetime = lifetime or default_lifetime()
    if lifetime <= timedelta(0):
        raise InvalidInput(_("Срок действия должен быть положительным."), field="lifetime")
    token, key = _create(
        user=user, name=name, scope=scope, actor=actor, expires_at=at + lifetime, at=at
    )
    if actor is not None and actor.pk:
        _log(
            actor,
            token,
            ADDITION,
            _("Выпущен ключ %(prefix)s… (%(scope)s) для %(user)s, действует до %(until)s.")
            % {
                "prefix": token.prefix,
                "scope": token.get_scope_display(),
                "user": user.username,
                "until": _date(token.expires_at),
            },
        )
    return token, key


@transaction.atomic
def api_token_issue(
    *,
    actor,
    user,
    name: str,
    scope: str = ApiTokenScope.API,
    lifetime: timedelta | None = None,
    at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a key to an integration account of ``actor``'s municipality. Returns the
    row and the key — the only time the key exists outside the caller's hands.
    ``lifetime`` defaults to ``API_TOKEN_LIFETIME_DAYS``."""
    _check_manager(actor, user)
    return api_token_create(
        user=user, name=name, scope=scope, lifetime=lifetime, actor=actor, at=at
    )


@transaction.atomic
def api_token_rotate(
    *, actor, pk, grace: timedelta | None = None, at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Replace a key with a new one of the same account, name and scope. The old key
    keeps working for ``grace`` (``API_TOKEN_ROTATION_GRACE_HOURS``), so the integration
    can switch without a gap; a key that has already been replaced, revoked or has
    expired is not rotated (409). The new key lives as long as the old one was issued
    for (a key without a term gets the default term)."""
    at = at or timezone.now()
    old = api_token_get_for_manager(actor, pk, for_update=True)
    _check_manager(actor, old.user)
    if old.state(at) != "active":
        raise StateConflict(_("Этот ключ уже заменён, отозван или истёк: перевыпустить нельзя."))
    grace = rotation_grace() if grace is None else grace
    lifetime = (old.expires_at - old.created_at) if old.expires_at else default_lifetime()
    new, key = _create(
        user=old.user,
        name=old.name,
        scope=old.scope,
        actor=actor,
        expires_at=at + lifetime,
        at=at,
    )
    until = at + grace
    if old.expires_at is not None:
        until = min(until, old.expires_at)
    # Compare-and-swap: of two rotations at once, one wins (also on SQLite).
    changed = ApiToken.objects.filter(
        pk=old.pk, replaced_by__isnull=True, revoked_at__isnull=True
    ).update(replaced_by=new, expires_at=until)
    if changed != 1:
        raise StateConflict(_("Ключ уже перевыпущен или отозван другим пользователем."))
    old.refresh_from_db()
    _log(
        actor,
        old,
        CHANGE,
        _("Ключ %(old)s… заменён ключом %(new)s…; старый действует до %(until)s.")
        % {"old": old.prefix, "new": new.prefix, "until": _date(until)},
    )
    _log(
        actor,
        new,
        ADDITION,
        _("Выпущен ключ %(new)s… взамен %(old)s…, действует до %(expires)s.")
        % {"old": old.prefix, "new": new.prefix, "expires": _date(new.expires_at)},
    )
    return new, key


@transaction.atomic
def api_token_revoke(*, actor, pk, at: datetime | None = None) -> ApiToken:
    """Stop a key at once (also one still in its rotation grace). Revoking twice is a
    409: the first revocation's time and author stay."""
    at = at or timezone.now()
    token = api_token_get_for_manager(actor, pk, for_update=True)
    _check_manager(actor, token.user)
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=at, revoked_by=actor
    )
    if changed != 1:
        raise StateConflict(_("Ключ уже отозван."))
    token.refresh_from_db()
    _log(actor, token, CHANGE, _("Ключ %(prefix)s… отозван.") % {"prefix": token.prefix})
    return token


# ---------------------------------------------------------------------------------------
# Checking a key
# ---------------------------------------------------------------------------------------


def api_token_authenticate(key: str, *, scope: str, at: datetime | None = None) -> ApiToken:
    """The valid key of ``scope`` with this value, its account active; else
    ``AuthenticationFailed`` with one message for every reason. One query, plus one
    UPDATE of ``last_used_at`` at most once a minute."""
    at = at or timezone.now()
    if not key or len(key) > MAX_KEY_CHARS:
        raise exceptions.AuthenticationFailed(GENERIC_REFUSAL)
    token = (
        ApiToken.objects.select_related("user", "user__municipality")
        .filter(digest=key_digest(key))
        .first()
    )
    if token is None or token.scope != scope or not token.is_valid(at) or not token.user.is_active:
        raise exceptions.AuthenticationFailed(GENERIC_REFUSAL)
    if token.last_used_at is None or at - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - LAST_USED_PRECISION)
        ).update(last_used_at=at)
        token.last_used_at = at
    return token


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` for the desk's API (scope ``api``). DRF's parsing
    of the header and its 401 with ``WWW-Authenticate: Token``; the key is looked up by
    its digest (``api_token_authenticate``), never compared in the clear."""

    scope = ApiTokenScope.API

    def authenticate_credentials(self, key):
        token = api_token_authenticate(key, scope=self.scope)
        return (token.user, token)
