"""Fill what 0015 added: each clock's, answer's and feedback's municipality and
organisation from its case, and each published answer's working time and first-reply
mark (cases.copies, the same code generate_cases runs); each case's breach on record."""

from django.db import migrations

from deadlines.choices import OBLIGATION_STAGES
from deadlines.state import q_breach_on_record


def fill(apps, schema_editor):
    from cases.copies import answer_times_fill, copies_fill

    copies_fill([apps.get_model("deadlines", "Deadline"), apps.get_model("cases", "Answer"),
                 apps.get_model("cases", "Feedback")])  # fmt: skip
    answer_times_fill(apps.get_model("cases", "Answer"), apps.get_model("mcu", "Municipality"))
    # Case.breach_recorded: what deadlines.services.cases_breach_marks_refresh_all sets.
    Case, Deadline = apps.get_model("cases", "Case"), apps.get_model("deadlines", "Deadline")
    on_record = Deadline.objects.filter(q_breach_on_record(), stage__in=OBLIGATION_STAGES)
    Case.objects.filter(pk__in=on_record.values("case_id")).update(breach_recorded=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_case_copy"),
        ("deadlines", "0006_case_copy"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
