"""``manage.py generate_cases --count 1000000``: a region's years of synthetic history for
load tests and benchmarks (``cases.demo.generate``). Refuses to run twice on one database."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.demo.generate import SOURCE, generate, terminal_progress
from cases.models import Case


class Command(BaseCommand):
    help = (
        "Создаёт синтетическую историю обращений (сообщения, сроки, события, ответы, "
        "оценки) для нагрузочных тестов."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000, help="сколько сообщений")
        parser.add_argument(
            "--municipalities", type=int, default=5, help="сколько МО (первые — из справочника)"
        )
        parser.add_argument("--seed", type=int, default=20261201, help="зерно случайности")
        parser.add_argument("--days", type=int, default=730, help="глубина истории, дней")
        parser.add_argument("--no-progress", action="store_true", help="без строки прогресса")

    def handle(self, *args, count, municipalities, seed, days, no_progress, **options):
        if settings.DJANGO_ENV == "production":
            raise CommandError("generate_cases не запускается в рабочей среде.")
        if count < 1 or municipalities < 1 or days < 1:
            raise CommandError("--count, --municipalities и --days должны быть больше нуля.")
        existing = Case.objects.filter(source=SOURCE).count()
        if existing:
            raise CommandError(
                f"В базе уже есть {existing:,} сгенерированных сообщений (source={SOURCE!r}): "
                "повторная генерация удвоила бы историю. Создайте пустую базу "
                "(createdb + migrate) и запустите команду снова."
            )
        progress = None if no_progress else terminal_progress(self.stderr._out)
        counts = generate(
            count=count,
            municipalities=municipalities,
            seed=seed,
            days=days,
            now=timezone.now(),
            stdout=self.stdout,
            progress=progress,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Создано за {counts['seconds']} с: сообщений {counts['cases']:,}, "
                f"событий {counts['events']:,}, сроков {counts['clocks']:,}, "
                f"ответов {counts['answers']:,}, оценок {counts['feedback']:,}."
            )
        )
        phases = ", ".join(f"{what} {seconds} с" for what, seconds in counts["phases"].items())
        self.stdout.write(
            f"Смоделировано {counts['simulated']:,}, остальное скопировано в SQL; {phases}."
        )
