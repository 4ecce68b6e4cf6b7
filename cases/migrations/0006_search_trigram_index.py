"""A trigram GIN index on the folded search text, on PostgreSQL only.

The case list searches ``search_text LIKE '%слово%'``; without an index that is a scan of
every case. ``pg_trgm`` answers LIKE with any wildcard from a GIN index. SQLite keeps the
plain LIKE (same results, no index): both operations do nothing there.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = GinIndex(fields=["search_text"], opclasses=["gin_trgm_ops"], name="case_search_trgm")


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("cases", "Case"), INDEX)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("cases", "Case"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_erase_personal_data_event")]

    operations = [
        # CreateExtension is a no-op on other databases.
        TrigramExtension(),
        migrations.RunPython(add_index, remove_index, elidable=False),
    ]
