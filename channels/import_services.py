"""The import of exports: an ``ImportJob`` from an upload or the command, and its run
(DESIGN §5 «Import»).

Rows are taken in through the ingest service (``channels.services.ingest_with``): the
same set-based ``case_register_many``, the same ``IngestRecord``, the same unique
constraint on ``Case(source, external_id)`` — a row whose external ID came in before,
by an earlier import or by the API under the same source, is a duplicate, never a second
case. A bad row is rejected with its reason and costs only itself; the file as a whole is
refused (``ImportRefused``) before any row is written. Nothing here logs a row: its author,
contacts and text are personal data.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.services import case_may_register
from mcu.choices import Role
from mcu.exceptions import NotAllowed
from mcu.models import Category
from mcu.text import fold

from . import imports
from .imports import CHUNK_ROWS, ImportRefused, RowReader, RowRejected
from .models_import import ImportJob, ImportMapping, ImportStatus
from .services import IngestKeyTaken, _Intake, ingest_with

logger = logging.getLogger(__name__)

__all__ = [
    "import_allowed",
    "import_job_create",
    "import_job_run",
    "import_jobs_for",
    "import_mappings_for",
]


def import_allowed(user) -> bool:
    """Who imports on the page: the administrator and the head of a centre — those who
    register by hand (``case_may_register``)."""
    return case_may_register(user)


def import_mappings_for(municipality):
    """The shared mappings and the municipality's own."""
    return ImportMapping.objects.filter(
        Q(municipality__isnull=True) | Q(municipality=municipality)
    ).order_by("-is_default", "name")


def import_mapping_default(municipality) -> ImportMapping | None:
    return import_mappings_for(municipality).filter(is_default=True).first() or (
        import_mappings_for(municipality).first()
    )


def import_jobs_for(user, *, limit: int = 20):
    """The recent jobs of the user's municipality."""
    return (
        ImportJob.objects.filter(municipality_id=user.municipality_id)
        .select_related("uploaded_by", "mapping")
        .defer("rejected_rows", "headers")[:limit]
    )


class _ImportIntake(_Intake):
    """The ingest intake of one import: the rows go to the job's municipality under the
    mapping's source, whoever the actor is (an administrator, a head, an integration
    account from the command line)."""

    def __init__(self, actor, municipality, source: str):
        self.actor = actor
        self.target = municipality
        self.default_source = source[:64]
        self._municipalities = {}
        self._categories = {}
        self._rules = {}

    def municipality(self, slug):
        return self.target

    def answer_duplicate(self, case):
        if case.municipality_id != self.target.pk:
            raise IngestKeyTaken(
                _("Сообщение с таким внешним ID из этого источника уже загружено другим МО."),
                field="external_id",
            )
        from .services import IngestResult

        return IngestResult("duplicate", case=case)

    def preload_categories(self, values: set[str]) -> None:
        """«Категория» holds a code or a name (case and ё do not matter); a name shared by
        several categories suggests none."""
        wanted = {v for v in values if v and v not in self._categories}
        if not wanted:
            return
        active = Category.objects.filter(is_active=True).only("pk", "code", "name")
        by_code = {c.code: c for c in active.filter(code__in=wanted)}
        by_name: dict[str, list] = {}
        folded = {fold(v) for v in wanted}
        for category in active:
            key = fold(category.name)
            if key in folded:
                by_name.setdefault(key, []).append(category)
        for value in wanted:
            named = by_name.get(fold(value), [])
            self._categories[value] = by_code.get(value) or (named[0] if len(named) == 1 else None)

    def category(self, code: str):
        if not code:
            return None
        if code not in self._categories:
            self.preload_categories({code})
        return self._categories[code]


def _check_actor(actor, municipality) -> None:
    if actor.is_superuser:
        return
    if actor.municipality_id != municipality.pk or not (
        import_allowed(actor) or actor.has_role(Role.INTEGRATION)
    ):
        raise NotAllowed(
            _("Загружать сообщения в «%(m)s» может администратор или руководитель этого МЦУ.")
            % {"m": municipality.name}
        )


def import_table_check(upload, mapping: ImportMapping) -> imports.Table:
    """What the page and the command check before a job is made: the size, the type by
    content, the archive, the header row against the mapping and the rows the file
    declares. Raises ``ImportRefused``."""
    size = getattr(upload, "size", None)
    limit = imports.max_upload_bytes()
    if size is not None and size > limit:
        raise ImportRefused(
            _("Файл больше %(mb)s МБ: разбейте выгрузку на части.") % {"mb": limit // (1024 * 1024)}
        )
    table = imports.open_table(upload)
    imports.resolve_columns(mapping, table.headers)
    if table.format == "csv":
        imports.check_row_count(table.count())
    elif table.row_estimate:
        imports.check_row_count(table.row_estimate - 1)
    upload.seek(0)
    return table


def import_job_create(
    *,
    actor,
    municipality,
    upload,
    mapping: ImportMapping,
    channel: str = "",
    from_command: bool = False,
) -> ImportJob:
    """Check the file and store it with a queued job (default storage). The caller starts
    the run (``import_job_run``, directly or through the task after commit)."""
    _check_actor(actor, municipality)
    if mapping.municipality_id not in (None, municipality.pk):
        raise ImportRefused(_("Это сопоставление другого МО."), field="mapping")
    table = import_table_check(upload, mapping)
    name = os.path.basename(getattr(upload, "name", "") or "import")[:200]
    job = ImportJob(
        municipality=municipality,
        uploaded_by=actor,
        mapping=mapping,
        channel=channel,
        original_name=name,
        size_bytes=getattr(upload, "size", 0) or 0,
        file_format=table.format,
        from_command=from_command,
        headers=table.headers,
    )
    upload.seek(0)
    job.file.save(f"{table.format}-{name}", File(upload, name=name), save=False)
    job.save()
    return job


Progress = Callable[[ImportJob], None]


def _finish(job: ImportJob, status: str, error: str = "") -> ImportJob:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
    return job


def import_job_run(job_id: int, *, progress: Progress | None = None) -> ImportJob:
    """Take the job's rows in, ``CHUNK_ROWS`` at a time, saving the counts after each
    chunk (what the page's progress bar reads). Only a queued job runs, so a redelivered
    task does nothing twice. A job whose worker died midway stays «Загружается»: the file
    uploaded again takes in the rest, the rows taken in before count as duplicates."""
    # Claimed with a compare-and-swap: a second delivery of the task (the beat's resume of
    # a job whose first message is still queued) finds it taken and does nothing.
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("municipality", "mapping", "uploaded_by").get(pk=job_id)
    if not claimed:
        return job
    job.processed_rows = job.created_count = job.duplicate_count = job.rejected_count = 0
    # The same list grows as the chunks go; it is written once, by the final save (each
    # chunk rewriting a growing list would make a file of many bad rows quadratic).
    rejected: list[dict] = []
    job.rejected_rows = rejected
    job.save()
    try:
        with job.file.open("rb") as fh:
            table = imports.open_table(fh)
            columns = imports.resolve_columns(job.mapping, table.headers)
            job.headers = table.headers
            job.total_rows = table.count()
            imports.check_row_count(job.total_rows)
            job.save(update_fields=["headers", "total_rows"])
            if progress:
                progress(job)
            reader = RowReader(
                columns,
                job.municipality.zone,
                default_channel=job.channel or job.mapping.default_channel,
            )
            intake = _ImportIntake(job.uploaded_by, job.municipality, job.mapping.source)
            chunk: list[tuple[int, list]] = []
            for number, values in table.rows():
                chunk.append((number, values))
                if len(chunk) >= CHUNK_ROWS:
                    _run_chunk(job, intake, reader, chunk, rejected)
                    chunk = []
                    if progress:
                        progress(job)
            if chunk:
                _run_chunk(job, intake, reader, chunk, rejected)
    except ImportRefused as exc:
        return _finish(job, ImportStatus.REFUSED, str(exc.message))
    except Exception:
        # No row content in the log: personal data.
        logger.exception("import job %s failed", job.pk)
        _finish(
            job,
            ImportStatus.FAILED,
            _(
                "Загрузка прервалась из-за сбоя. Строки, загруженные до сбоя, сохранены; "
                "загрузите файл ещё раз — они будут учтены как уже загруженные."
            ),
        )
        raise
    _finish(job, ImportStatus.DONE)
    if progress:
        progress(job)
    return job


def _coordinated(actor, channel: str) -> bool:
    from .services import KIND_BY_CHANNEL

    if not actor.has_role(Role.ADMINISTRATOR):
        return True
    return KIND_BY_CHANNEL[channel] in actor.coordinated_kinds


def _run_chunk(
    job: ImportJob, intake: _ImportIntake, reader: RowReader, chunk, rejected: list[dict]
) -> None:
    items: list[dict] = []
    numbers: list[tuple[int, list]] = []
    before = len(rejected)

    def reject(number: int, values: list, reason: str) -> None:
        rejected.append({"row": number, "reason": reason, "values": imports.cell_texts(values)})

    for number, values in chunk:
        try:
            item = reader.item(values)
        except RowRejected as exc:
            reject(number, values, exc.reason)
            continue
        if not _coordinated(job.uploaded_by, item["channel"]):
            reject(number, values, _("Вы не координируете этот вид сообщений."))
            continue
        items.append(item)
        numbers.append((number, values))
    created = duplicates = 0
    if items:
        with transaction.atomic():
            results = ingest_with(intake, items)
        for (number, values), result in zip(numbers, results, strict=True):
            if result.status == "created":
                created += 1
            elif result.status == "duplicate":
                duplicates += 1
            else:
                reject(number, values, imports.errors_reason(result.errors))
    job.processed_rows += len(chunk)
    job.created_count += created
    job.duplicate_count += duplicates
    job.rejected_count += len(rejected) - before
    job.save(update_fields=["processed_rows", "created_count", "duplicate_count", "rejected_count"])


#: a queued job older than this lost its task (the broker was down at the upload)
RESUME_AFTER = timedelta(minutes=2)


def import_jobs_resumable(*, now=None) -> list[int]:
    """Queued jobs whose task did not come: beat sends them again (``import_resume``)."""
    cutoff = (now or timezone.now()) - RESUME_AFTER
    return list(
        ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )


def import_report_rows(job: ImportJob) -> tuple[list[str], list[list[str]]]:
    """The rejected-rows report: the row's number, the reason, then the row as it was."""
    headers = [_("Строка"), _("Причина"), *(job.headers or [])]
    rows = [
        [
            entry["row"],
            imports.report_safe(entry["reason"]),
            *(imports.report_safe(v) for v in entry["values"]),
        ]
        for entry in job.rejected_rows
    ]
    return headers, rows
