"""The desk's renderer draws a ``<select>`` exactly as Django's templates would."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from mcu.forms import CategoryTreeField
from mcu.models import Category
from mcu.rendering import DeskFormRenderer
from tests.cases.conftest import roads_repair


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "Яма <b>&</b>"), ("b", 'Кавычки "x"')])
    grouped = forms.ChoiceField(
        choices=[("Дороги", [("1", "Ямы"), ("2", "Снег")]), ("Вода", [("3", "Нет воды")])]
    )
    many = forms.MultipleChoiceField(
        choices=[("new", "Новое"), ("closed", "Закрыто")],
        widget=forms.SelectMultiple(attrs={"data-x": "1", "disabled": False, "autofocus": True}),
    )
    category = CategoryTreeField(queryset=Category.objects.all(), required=False)


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"plain": "a", "grouped": "3", "many": ["new", "closed"]}])
def test_the_select_markup_is_djangos(data):
    leaf = roads_repair()
    if data:
        data = {**data, "category": str(leaf.pk)}
    ours = Sample(data or None, renderer=DeskFormRenderer())
    djangos = Sample(data or None, renderer=DjangoTemplates())
    for name in Sample.base_fields:
        assert str(ours[name]) == str(djangos[name]), name
    assert 'data-level="' in str(ours["category"])
    assert "Яма &lt;b&gt;&amp;&lt;/b&gt;" in str(ours["plain"])


def test_a_custom_option_template_goes_through_the_engine():
    class Own(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    field = forms.ChoiceField(choices=[("a", "A")], widget=Own)
    form = forms.Form(renderer=DeskFormRenderer())
    form.fields["x"] = field
    assert "<select" in str(form["x"]) and "<option" not in str(form["x"])
