from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import ApiTokenScope, User


class DeskAuthenticationForm(AuthenticationForm):
    """The login page. An integration account works through the API with its token and
    never signs in to the pages (a leaked password opens no screens). Its refusal reads
    exactly like a wrong password: the page must not confirm that the password was right.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Неверное имя пользователя или пароль. Учётные записи интеграций работают "
            "только через API (по токену)."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.role == Role.INTEGRATION and not user.is_superuser:
            raise self.get_invalid_login_error()


# -- Categories as a tree: every category select of the desk ---------------------------


def categories_in_tree_order(categories) -> list[tuple[object, int, str]]:
    """``(category, depth, path)`` in the order of the tree: each sector followed by its
    categories, each category by its subcategories (siblings in the queryset's order).
    The structure and the paths are read from ``Category.tree()``, the one walk."""
    from .models import Category

    rows = list(categories)
    tree = Category.tree()
    present = {c.pk for c in rows}
    children: dict[int | None, list] = {}
    for c in rows:
        parent = c.parent_id if c.parent_id in present else None
        children.setdefault(parent, []).append(c)
    ordered: list[tuple[object, int, str]] = []

    def walk(parent, depth):
        for c in children.get(parent, ()):
            names = [tree[pk][1] for pk in Category.lineage_of(c.pk, tree) if pk in tree]
            ordered.append((c, len(names) - 1 if names else depth, " → ".join(reversed(names))))
            walk(c.pk, depth + 1)

    walk(None, 0)
    return ordered


class CategoryTreeIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for category, depth, path in categories_in_tree_order(self.queryset):
            self.field._tree_meta[category.pk] = (depth, path)
            yield self.choice(category)


class CategoryTreeSelect(forms.Select):
    """A plain <select> whose options carry their depth and path (``data-level``,
    ``data-path``); ``static/js/tree-select.js`` makes it a searchable tree (Tom Select)."""

    def __init__(self, attrs=None):
        super().__init__({"data-tree-select": "", **(attrs or {})})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            depth, path = self.choices.field._tree_meta.get(instance.pk, (0, str(instance)))
            option["attrs"]["data-level"] = str(depth)
            option["attrs"]["data-path"] = path
        return option


class CategoryTreeField(forms.ModelChoiceField):
    """A category chosen from the tree: ordered as the tree, indented, searchable."""

    iterator = CategoryTreeIterator
    widget = CategoryTreeSelect

    def __init__(self, *args, **kwargs):
        self._tree_meta: dict[int, tuple[int, str]] = {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        depth = self._tree_meta.get(obj.pk, (0, ""))[0]
        return "\u00a0\u00a0" * depth + ("— " if depth else "") + obj.name


#: the terms a head may give a new key, in days
TOKEN_LIFETIME_CHOICES = [
    (30, _("30 дней")),
    (90, _("90 дней")),
    (180, _("180 дней")),
    (365, _("1 год")),
]


class ApiTokenIssueForm(forms.Form):
    """«Выпустить ключ» on the «Интеграции» page. Parses only; ``api_token_issue`` decides."""

    user = forms.ModelChoiceField(
        label=_("Учётная запись интеграции"), queryset=User.objects.none(), empty_label=None
    )
    name = forms.CharField(
        label=_("Название ключа"),
        max_length=100,
        help_text=_("Для кого или чего: «сервер Инцидент Менеджмента», «портал города»."),
    )
    scope = forms.ChoiceField(label=_("Назначение"), choices=ApiTokenScope.choices)
    lifetime_days = forms.TypedChoiceField(
        label=_("Срок действия"), choices=TOKEN_LIFETIME_CHOICES, coerce=int, initial=365
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.username} — {u.full_name}"
