"""``manage.py retention_erase``: erase personal data of cases finished long ago (152-ФЗ
ст. 5 ч. 7). The period is ``PERSONAL_DATA_RETENTION_DAYS`` unless given."""

from django.conf import settings
from django.core.management.base import BaseCommand

from cases.services import personal_data_retention_erase


class Command(BaseCommand):
    help = "Удаляет персональные данные заявителей из давно завершённых сообщений."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None)

    def handle(self, *args, older_than_days=None, **options):
        days = older_than_days or settings.PERSONAL_DATA_RETENTION_DAYS
        count = personal_data_retention_erase(older_than_days=days)
        self.stdout.write(f"Персональные данные удалены из сообщений: {count} (старше {days} дн.).")
