"""The one parser of the analytics' parameters: the pages and the API use this form, so a
page and an endpoint read the same period the same way (a bad value: an error naming it)."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from mcu.choices import CategoryLevel
from mcu.models import Category

from .indicators import Period, Scope, analytics_scope

PRESETS = (("week", _("Неделя")), ("month", _("Месяц")), ("quarter", _("Квартал")))
MAX_DAYS = 400


class AnalyticsFilterForm(forms.Form):
    municipality = forms.SlugField(label=_("МО"), required=False)
    preset = forms.ChoiceField(label=_("Период"), choices=PRESETS, required=False)
    date_from = forms.DateField(label=_("С"), required=False)
    date_to = forms.DateField(label=_("По"), required=False)
    sector = forms.ModelChoiceField(
        label=_("Отраслевой блок"),
        queryset=Category.objects.filter(level=CategoryLevel.SECTOR),
        required=False,
    )

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if (date_from is None) != (date_to is None) and not self.errors:
            missing = "date_to" if date_to is None else "date_from"
            self.add_error(missing, _("Укажите обе даты периода или выберите период."))
        elif date_from and date_to:
            if date_from > date_to:
                self.add_error("date_to", _("Дата окончания раньше даты начала."))
            elif (date_to - date_from).days + 1 > MAX_DAYS:
                self.add_error("date_to", _("Период не длиннее %(n)s дней.") % {"n": MAX_DAYS})
        return data


def analytics_params(
    *, user, data, default_preset: str = "month"
) -> tuple[Scope | None, Period | None, AnalyticsFilterForm]:
    """(scope, period, form) from query parameters; (None, None, form) when they are bad."""
    form = AnalyticsFilterForm(data)
    if not form.is_valid():
        return None, None, form
    c = form.cleaned_data
    scope = analytics_scope(
        user=user, municipality=c.get("municipality") or None, sector=c.get("sector")
    )
    if c.get("date_from") and c.get("date_to"):
        period = Period(c["date_from"], c["date_to"])
    else:
        period = Period.preset(c.get("preset") or default_preset, today=scope.today())
    return scope, period, form


def iso(d: date) -> str:
    return d.isoformat()
