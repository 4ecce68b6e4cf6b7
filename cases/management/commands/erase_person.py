"""``manage.py erase_person``: a resident's request to erase their personal data (152-ФЗ).

Without ``--apply`` it only says how many cases (by number) would be touched; nothing of
the person's data is printed.
"""

from django.core.management.base import BaseCommand, CommandError

from cases.services import person_cases, person_erase
from mcu.exceptions import DeskError


class Command(BaseCommand):
    help = "Удаляет персональные данные заявителя из всех его сообщений (по заявлению)."

    def add_arguments(self, parser):
        parser.add_argument("--profile", default="", help="ссылка на профиль автора")
        parser.add_argument("--name", default="", help="ФИО автора (вместе с --contacts)")
        parser.add_argument("--contacts", default="", help="телефон или e-mail автора")
        parser.add_argument("--reason", required=True, help="основание: заявление № и дата")
        parser.add_argument("--apply", action="store_true", help="выполнить (иначе — проверка)")

    def handle(self, *args, profile, name, contacts, reason, apply, **options):
        if not profile and not (name and contacts):
            raise CommandError("Укажите --profile или --name вместе с --contacts.")
        numbers = list(
            person_cases(name=name, contacts=contacts, profile_url=profile).values_list(
                "registration_number", flat=True
            )
        )
        if not apply:
            self.stdout.write(
                f"Будут изменены сообщения: {len(numbers)} ({', '.join(numbers[:20])}"
                f"{'…' if len(numbers) > 20 else ''}). Запустите с --apply."
            )
            return
        try:
            count = person_erase(reason=reason, name=name, contacts=contacts, profile_url=profile)
        except DeskError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(self.style.SUCCESS(f"Персональные данные удалены из сообщений: {count}."))
