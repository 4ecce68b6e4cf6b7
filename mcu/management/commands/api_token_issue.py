"""``manage.py api_token_issue USERNAME --name … [--scope api|open311] [--days N]``: issue
an API key from the command line (an operator setting up an integration). The key is
printed once and never stored; the database keeps its digest (mcu.tokens)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from mcu.choices import Role
from mcu.exceptions import DeskError
from mcu.models import ApiTokenScope, User
from mcu.tokens import api_token_create


class Command(BaseCommand):
    help = "Выпускает ключ API учётной записи интеграции и печатает его (один раз)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="для кого или чего ключ")
        parser.add_argument("--scope", choices=ApiTokenScope.values, default=ApiTokenScope.API)
        parser.add_argument("--days", type=int, default=None, help="срок действия, дней")

    def handle(self, username, *, name, scope, days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Нет пользователя «{username}».")
        if user.role != Role.INTEGRATION:
            raise CommandError("Ключи выдаются только учётным записям интеграций.")
        if days is not None and days <= 0:
            raise CommandError("--days: срок должен быть положительным.")
        try:
            token, key = api_token_create(
                user=user,
                name=name,
                scope=scope,
                lifetime=timedelta(days=days) if days else None,
            )
        except DeskError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stderr.write(
            f"Ключ {token.prefix}… ({token.get_scope_display()}) для {username}, "
            f"действует до {token.expires_at:%d.%m.%Y}. Он показан один раз:"
        )
        self.stdout.write(key)
