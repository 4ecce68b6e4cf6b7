"""The mappings are edited in the admin: superusers all, heads their municipality's own
(the shared default is read-only for them)."""

from channels.models_import import ImportMapping

from .importdata import mapping_default


def test_a_head_edits_own_mappings_and_reads_the_shared_default(client, world):
    head = world.users["head"]
    head.is_staff = True
    head.save(update_fields=["is_staff"])
    shared = mapping_default()
    own = ImportMapping.objects.create(
        name="Выгрузка ЕДДС", municipality=world.mun, source="edds", col_text="Описание"
    )
    other = ImportMapping.objects.create(
        name="Чужая", municipality=world.mun_other, source="x", col_text="Текст"
    )
    client.force_login(head)
    listing = client.get("/admin/channels/importmapping/").content.decode()
    assert shared.name in listing and own.name in listing and other.name not in listing
    page = client.get(f"/admin/channels/importmapping/{own.pk}/change/")
    assert page.status_code == 200
    assert "Колонка «Дата поступления»" in page.content.decode()
    response = client.post(
        f"/admin/channels/importmapping/{own.pk}/change/",
        {
            "name": own.name,
            "municipality": world.mun.pk,
            "source": "edds",
            "col_text": "Описание|Суть обращения",
            "col_received_at": "Дата",
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.headers_of("text") == ["Описание", "Суть обращения"]
    shared_page = client.get(f"/admin/channels/importmapping/{shared.pk}/change/")
    assert shared_page.status_code == 200
    assert 'name="_save"' not in shared_page.content.decode()  # read-only for a head
