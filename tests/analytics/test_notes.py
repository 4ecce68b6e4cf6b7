"""The note's lifecycle: draft → approved → published, frozen once approved, revisions,
the curator told, beat building at 08:00 local (Ставрополь п. 11 1); Междуреченск
пост. 3.3; Лабытнанги 3.6 в))."""

import datetime as dt
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from analytics import services
from analytics.models import NoteEvent, NoteStatus, WeeklyNote
from analytics.tasks import notes_build_due
from mcu.exceptions import InvalidInput, NotAllowed, NotFound, StateConflict
from mcu.models import Notification

from .conftest import local


def _channels(note):
    return note.content["sections"][0]["rows"]


def test_lifecycle_freezes_the_approved_note_against_late_data(dataset, world, flow):
    u = world.users
    note, created = services.note_create(municipality=world.mun, kind="weekly", period="2026-W06")
    assert created and note.status == NoteStatus.DRAFT and note.revision == 1
    assert _channels(note) == [["ВКонтакте", 5, 2, 3]]
    # The curator is told once, with a link to the note; a second build changes nothing.
    told = Notification.objects.filter(event="note.ready")
    assert [n.recipient.username for n in told] == ["curator"]
    assert told[0].url == reverse("analytics:note", args=[note.pk])
    again, created = services.note_create(municipality=world.mun, kind="weekly", period="2026-W06")
    assert (again.pk, created, told.count()) == (note.pk, False, 1)

    top = [str(t["category"]) for t in note.content["top"]]
    # Only the head writes the causes, only for the TOP problems, and no longer than 2000.
    with pytest.raises(NotAllowed):
        services.note_set_causes(pk=note.pk, actor=u["curator"], causes={top[0]: "x"})
    with pytest.raises(InvalidInput) as bad:
        services.note_set_causes(pk=note.pk, actor=u["head"], causes={"999999": "x"})
    assert bad.value.field == "cause_999999"
    with pytest.raises(InvalidInput):
        services.note_set_causes(pk=note.pk, actor=u["head"], causes={top[0]: "я" * 2001})
    services.note_set_causes(
        pk=note.pk, actor=u["head"], causes={top[0]: "Износ покрытия; ямочный ремонт", top[1]: ""}
    )
    note.refresh_from_db()
    assert note.causes == {top[0]: "Износ покрытия; ямочный ремонт"}

    # Only the curator approves; the executor does not even see the note.
    with pytest.raises(NotAllowed):
        services.note_approve(pk=note.pk, actor=u["head"])
    with pytest.raises(NotFound):
        services.note_approve(pk=note.pk, actor=u["executor"])
    with pytest.raises(NotFound):
        services.note_approve(pk=note.pk, actor=u["curator_other"])
    with pytest.raises(StateConflict):
        services.note_publish(pk=note.pk, actor=u["curator"])
    services.note_approve(pk=note.pk, actor=u["curator"], now=local(9, 9))
    note.refresh_from_db()
    assert (note.status, note.approved_by, note.approved_at) == (
        NoteStatus.APPROVED,
        u["curator"],
        local(9, 9),
    )
    with pytest.raises(services.NoteFrozen):
        services.note_approve(pk=note.pk, actor=u["curator"])
    with pytest.raises(services.NoteFrozen):
        services.note_set_causes(pk=note.pk, actor=u["head"], causes={top[0]: "другое"})

    # Late data: a case received on Wednesday of the week, registered after the approval.
    flow.register(local(4, 15))
    note.refresh_from_db()
    assert _channels(note) == [["ВКонтакте", 5, 2, 3]]
    html = reverse("analytics:note-download", args=[note.pk, "html"])
    client_html = _get(world, "curator", html).content.decode().replace("\xa0", " ")
    assert '<td>ВКонтакте</td><td class="n">5</td>' in client_html

    services.note_publish(pk=note.pk, actor=u["curator"])
    note.refresh_from_db()
    assert note.status == NoteStatus.PUBLISHED and note.published_by == u["curator"]

    # A new revision sees the late case and keeps the head's causes.
    new = services.note_revise(pk=note.pk, actor=u["head"])
    assert (new.revision, new.status, new.causes) == (2, NoteStatus.DRAFT, note.causes)
    assert _channels(new) == [["ВКонтакте", 6, 2, 4]]
    with pytest.raises(StateConflict):
        services.note_revise(pk=note.pk, actor=u["head"])
    assert list(
        NoteEvent.objects.filter(note=note).order_by("pk").values_list("action", flat=True)
    ) == [
        "build",
        "causes",
        "approve",
        "publish",
    ]
    assert Notification.objects.filter(event="note.ready").count() == 2


def _get(world, username, url, **kw):
    from django.test import Client

    client = Client()
    client.force_login(world.users[username])
    return client.get(url, **kw)


def test_one_revision_per_period_in_the_database(world):
    note, _c = services.note_create(municipality=world.mun, kind="monthly", period="2026-02")
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyNote.objects.create(
            municipality=world.mun,
            kind="monthly",
            period="2026-02",
            date_from=note.date_from,
            date_to=note.date_to,
            built_at=note.built_at,
        )


def test_bad_period_and_kind(world):
    with pytest.raises(InvalidInput) as exc:
        services.note_create(municipality=world.mun, kind="weekly", period="2026-47")
    assert exc.value.field == "period"
    with pytest.raises(InvalidInput):
        services.note_create(municipality=world.mun, kind="daily", period="2026-W06")


# -- beat ----------------------------------------------------------------------------------

NSK = zoneinfo.ZoneInfo("Asia/Novokuznetsk")  # UTC+7: Междуреченск, Новокузнецк
SAR = zoneinfo.ZoneInfo("Europe/Saratov")  # UTC+4: Саратов


def _built(world):
    slugs = {world.mun.pk: "mzh", world.mun_same_region.pk: "nvk", world.mun_other.pk: "srt"}
    return sorted(
        (slugs[m], k, p)
        for m, k, p in WeeklyNote.objects.values_list("municipality_id", "kind", "period")
        if m in slugs
    )


def test_beat_builds_each_municipality_at_its_own_monday_eight(world):
    WeeklyNote.objects.all().delete()
    # The notes of the last week of January and of January, from earlier runs.
    notes_build_due(now=dt.datetime(2026, 2, 2, 5, 0, tzinfo=dt.UTC))  # Mon 12:00 NSK, 09:00 SAR
    before = set(_built(world))
    assert ("mzh", "weekly", "2026-W05") in before and ("srt", "weekly", "2026-W05") in before
    assert ("mzh", "monthly", "2026-01") in before and ("srt", "quarterly", "2025-Q4") in before
    # Mon 09.02 07:59 in Novokuznetsk: the week W06 is not due anywhere yet.
    assert notes_build_due(now=dt.datetime(2026, 2, 9, 7, 59, tzinfo=NSK)) == []
    # 08:00 in Novokuznetsk (04:00 in Saratov): W06 for the two Kuzbass municipalities only.
    built = notes_build_due(now=dt.datetime(2026, 2, 9, 8, 0, tzinfo=NSK))
    assert len(built) == 2
    assert set(_built(world)) - before == {
        ("mzh", "weekly", "2026-W06"),
        ("nvk", "weekly", "2026-W06"),
    }
    # Run again a quarter of an hour later: idempotent.
    assert notes_build_due(now=dt.datetime(2026, 2, 9, 8, 15, tzinfo=NSK)) == []
    # 08:00 in Saratov; a beat that was down until Tuesday still builds it.
    assert len(notes_build_due(now=dt.datetime(2026, 2, 10, 8, 0, tzinfo=SAR))) == 1
    # The 1st of April, 08:00 local: March and the first quarter.
    notes_build_due(now=dt.datetime(2026, 4, 1, 8, 0, tzinfo=SAR))
    after = set(_built(world))
    assert {("mzh", "monthly", "2026-03"), ("mzh", "quarterly", "2026-Q1")} <= after
    assert ("srt", "quarterly", "2026-Q1") in after
    assert WeeklyNote.objects.filter(revision=1).count() == len(after)


def test_beat_task_is_scheduled():
    from mcu.celery import app

    entry = app.conf.beat_schedule["analytics-build-notes"]
    assert entry["task"] == "analytics.build_notes"
    assert entry["schedule"].minute == {0, 15, 30, 45}


# -- pages -----------------------------------------------------------------------------------


def test_pages_list_read_edit_approve_download(world, client):
    u = world.users
    client.force_login(u["curator"])
    url = reverse("analytics:notes")
    bad = client.post(url, {"kind": "weekly", "period": "2026-47"})
    assert bad.status_code == 400 and "ГГГГ-Wнн" in bad.content.decode()
    response = client.post(url, {"kind": "weekly", "period": "2026-W06"})
    note = WeeklyNote.objects.get(kind="weekly", period="2026-W06", municipality=world.mun)
    assert response.url == reverse("analytics:note", args=[note.pk])
    assert "2026-W06" in client.get(url).content.decode()
    page = client.get(response.url).content.decode()
    assert "Утвердить" in page and "Скачать PDF" in page
    # The head sees the editor, the curator does not.
    client.force_login(u["head"])
    assert 'name="cause_' in client.get(response.url).content.decode() or not note.content["top"]
    assert client.post(reverse("analytics:note-approve", args=[note.pk])).status_code == 403
    client.force_login(u["curator"])
    done = client.post(reverse("analytics:note-approve", args=[note.pk]))
    assert done.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.APPROVED
    again = client.post(reverse("analytics:note-approve", args=[note.pk]))
    assert again.status_code == 409
    xlsx = client.get(reverse("analytics:note-download", args=[note.pk, "xlsx"]))
    assert xlsx["Content-Disposition"] == 'attachment; filename="note_mzh_2026-W06_r1.xlsx"'
    # Out of scope: the same 404 as a missing note; an executor has no notes at all.
    client.force_login(u["curator_other"])
    assert client.get(reverse("analytics:note", args=[note.pk])).status_code == 404
    client.force_login(u["executor"])
    assert client.get(reverse("analytics:note", args=[note.pk])).status_code == 404
    assert client.get(url).status_code == 403


def test_approval_times_are_the_municipalitys_own_for_every_reader(dataset, world):
    """A note of Междуреченск (МСК+4) approved at 00:30 local on 10 February: the list, the
    note's history and the document say 10.02.2026, also to a reader whose own zone is
    Moscow (where it is still the 9th) — the note belongs to its municipality's day."""
    note, _ = services.note_create(municipality=world.mun, kind="weekly", period="2026-W06")
    services.note_approve(pk=note.pk, actor=world.users["curator"], now=local(10, 0, 30))
    note.refresh_from_db()
    assert note.approved_at.astimezone(zoneinfo.ZoneInfo("Europe/Moscow")).day == 9
    reader = world.users["observer"]
    listing = _get(world, reader.username, reverse("analytics:notes")).content.decode()
    assert "10.02.2026 00:30 (МСК+4)" in listing
    page = _get(world, reader.username, reverse("analytics:note", args=[note.pk]))
    assert "10.02.2026 00:30 (МСК+4)" in page.content.decode()
    html = reverse("analytics:note-download", args=[note.pk, "html"])
    document = _get(world, reader.username, html).content.decode()
    assert "10.02.2026" in document and "09.02.2026" not in document.split("Утвердил")[-1]
