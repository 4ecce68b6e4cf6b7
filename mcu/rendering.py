"""The desk's form renderer: Django's, with ``<select>`` drawn in Python.

Django renders a select as one template include per option. The case list draws four
selects with about 150 options (organisations, the category tree, districts) on every
page, and at a million cases those includes were the largest part of the page's time
(docs/performance.md). This renderer writes the same markup as Django's
``select.html`` / ``select_option.html`` / ``attrs.html`` directly; any other template,
or a widget with its own option template, goes through the template engine as before.
``tests/mcu/test_rendering.py`` compares the two outputs.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{conditional_escape(str(value))}"')
    return "".join(parts)


def render_select(widget: dict) -> str:
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return mark_safe("".join(out))  # every value above is escaped


class DeskFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if (
            template_name == SELECT
            and widget is not None
            and all(
                option.get("template_name") == OPTION
                for _name, choices, _index in widget["optgroups"]
                for option in choices
            )
        ):
            return render_select(widget)
        return super().render(template_name, context, request)
