"""Fill what 0015 added: each clock's, answer's and feedback's municipality and
organisation from its case, and each published answer's working time and first-reply
mark (cases.copies, the same code generate_cases runs); each case's breach on record."""

from django.db import migrations
from django.db.models import Exists, F, OuterRef, Q

from deadlines.choices import OBLIGATION_STAGES


def fill(apps, schema_editor):
    from cases.copies import answer_times_fill, copies_fill

    copies_fill([apps.get_model("deadlines", "Deadline"), apps.get_model("cases", "Answer"),
                 apps.get_model("cases", "Feedback")])  # fmt: skip
    answer_times_fill(apps.get_model("cases", "Answer"), apps.get_model("mcu", "Municipality"))
    # Case.breach_recorded: what deadlines.services.cases_next_due_refresh keeps.
    Case, Deadline = apps.get_model("cases", "Case"), apps.get_model("deadlines", "Deadline")
    on_record = Deadline.objects.filter(stage__in=OBLIGATION_STAGES, case_id=OuterRef("pk")).filter(
        Q(breached_at__isnull=False) | Q(met_at__isnull=False, met_at__gt=F("due_at"))
    )
    Case.objects.filter(Exists(on_record)).update(breach_recorded=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_case_copy"),
        ("deadlines", "0006_case_copy"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
