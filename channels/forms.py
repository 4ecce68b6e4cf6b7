"""The import page's form: it parses; the checks of the file are the service's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import Channel

from .import_services import import_mapping_default, import_mappings_for


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Файл выгрузки"),
        help_text=_("XLSX или CSV с заголовками колонок в первой строке."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet,text/csv"
            }
        ),
    )
    mapping = forms.ModelChoiceField(
        label=_("Сопоставление колонок"),
        queryset=None,
        empty_label=None,
        help_text=_("Какая колонка выгрузки — какое поле сообщения; правится в администрировании."),
    )
    channel = forms.ChoiceField(
        label=_("Канал"),
        required=False,
        choices=[("", _("— по колонке «Источник» —")), *Channel.choices],
        help_text=_("Для строк, где источник не указан."),
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = import_mappings_for(municipality)
        self.fields["mapping"].initial = import_mapping_default(municipality)
