from django.db import migrations

# The default weights of the executor rating (Ставрополь п. 11 2): by timeliness first,
# then completeness, quality and the residents' satisfaction. Editable in the admin.
DEFAULTS = {
    "on_time": 40,
    "answered": 20,
    "not_returned": 15,
    "not_reopened": 10,
    "satisfaction": 15,
    "min_cases": 2,
}


def load(apps, schema_editor):
    RatingWeights = apps.get_model("analytics", "RatingWeights")
    if not RatingWeights.objects.filter(municipality__isnull=True).exists():
        RatingWeights.objects.create(municipality=None, **DEFAULTS)


def unload(apps, schema_editor):
    apps.get_model("analytics", "RatingWeights").objects.filter(municipality__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_rating_weights")]

    operations = [migrations.RunPython(load, unload)]
