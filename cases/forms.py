"""Forms of the case card: one per action (``cases.actions``), in Russian.

A form only parses (types, lengths, required fields); every rule of the regulations is
the service's, and its errors come back to the form's fields (``InvalidInput.field``).
Every form carries the ``version`` of the case the user saw; the service refuses a stale
one with a 409, so two people on the same card cannot overwrite each other silently.
Each form turns its cleaned data into the keyword arguments of its service.
"""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from mcu.forms import CategoryTreeField
from mcu.models import Category, District, Organisation

from .attachments import MAX_FILES
from .choices import CaseKind, Channel
from .models import Case
from .selectors import case_ids_by_number, registration_number_clean


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, case: Case, user=None, **kwargs):
        self.case = case
        self.user = user
        kwargs.setdefault("initial", {}).setdefault("version", case.version)
        kwargs.setdefault("auto_id", f"id_%s_{self.action}")
        super().__init__(*args, **kwargs)

    action = ""

    def service_kwargs(self) -> dict:
        return {"version": self.cleaned_data.get("version")}


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("Причина"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "reason": self.cleaned_data["reason"]}


class AssignForm(VersionForm):
    action = "assign"
    # Empty choices say what to do, never Django's «---------».
    organization = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Организация-исполнитель"),
        empty_label=_("Выберите организацию"),
    )
    category = CategoryTreeField(
        queryset=Category.objects.none(),
        label=_("Категория"),
        empty_label=_("Выберите категорию"),
    )
    district = forms.ModelChoiceField(
        queryset=District.objects.none(), label=_("Район"), required=False, empty_label="—"
    )
    address = forms.CharField(label=_("Адрес"), required=False, max_length=500)
    kind = forms.ChoiceField(label=_("Вид"), choices=CaseKind.choices, required=False)
    channel = forms.ChoiceField(label=_("Канал"), choices=Channel.choices, required=False)
    propose_fast_track = forms.BooleanField(
        label=_("Предложить куратору повышенную важность"), required=False
    )

    def __init__(self, *args, case: Case, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("organization", case.organisation_id)
        initial.setdefault("category", case.category_id)
        initial.setdefault("district", case.district_id)
        initial.setdefault("address", case.address)
        initial.setdefault("kind", case.kind)
        initial.setdefault("channel", case.channel)
        super().__init__(*args, case=case, **kwargs)
        if case.fast_track or case.fast_track_proposed:
            del self.fields["propose_fast_track"]
        mun = case.municipality_id
        self.fields["organization"].queryset = Organisation.objects.filter(
            municipality_id=mun, is_active=True
        )
        # Ordered as the tree and searchable (mcu.forms.CategoryTreeField).
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by(
            "sort_order", "name"
        )
        self.fields["district"].queryset = District.objects.filter(municipality_id=mun)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            **super().service_kwargs(),
            "organisation": d["organization"],
            "category": d["category"],
            "district": d["district"],
            "address": d["address"],
            "kind": d.get("kind") or None,
            "channel": d.get("channel") or None,
            "propose_fast_track": d.get("propose_fast_track", False),
        }


REJECT_REASONS = [
    ("spam", _("Спам, реклама или бессмысленный текст")),
    ("not_competence", _("Не относится к компетенции")),
    ("duplicate", _("Дубликат сообщения")),
    ("other", _("Иное")),
]


class RejectForm(VersionForm):
    action = "reject"
    reason_kind = forms.ChoiceField(label=_("Основание"), choices=REJECT_REASONS)
    duplicate_of = forms.CharField(
        label=_("Номер исходного сообщения"), required=False, max_length=64
    )
    reason = forms.CharField(
        label=_("Пояснение"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        kind, details = d["reason_kind"], (d.get("reason") or "").strip()
        kwargs = {**super().service_kwargs(), "reason": details}
        if kind == "duplicate":
            # The service finds the original (only among cases the user may see) and
            # words the reason «Дубликат сообщения № N».
            kwargs["duplicate_of"] = (d.get("duplicate_of") or "").strip()
        elif kind != "other":
            label = str(dict(REJECT_REASONS)[kind])
            kwargs["reason"] = f"{label}: {details}" if details else label
        return kwargs


class AcceptForm(VersionForm):
    action = "accept"


class RequestReassignmentForm(ReasonForm):
    action = "request_reassignment"


class InterimAnswerForm(VersionForm):
    action = "interim_answer"
    text = forms.CharField(
        label=_("Текст промежуточного ответа"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    promised_at = forms.DateTimeField(
        label=_("Обещанный срок"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {**super().service_kwargs(), "text": d["text"], "promised_at": d["promised_at"]}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    # A photo straight from the phone's camera (DESIGN §8).
                    "accept": "image/*,application/pdf",
                    "capture": "environment",
                    "multiple": True,
                }
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class SubmitAnswerForm(VersionForm):
    action = "submit_answer"
    text = forms.CharField(
        label=_("Текст ответа"), max_length=8000, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(
        label=_("Фото и документы"),
        required=False,
        help_text=format_lazy(_("JPEG, PNG, WebP, HEIC или PDF, до {n} файлов"), n=MAX_FILES),
    )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            **super().service_kwargs(),
            "text": d["text"],
            "attachments": d.get("attachments") or [],
        }


class ApproveForm(VersionForm):
    action = "approve"


class ReturnForm(ReasonForm):
    action = "return"


class PublishForm(VersionForm):
    action = "publish"


class FeedbackForm(VersionForm):
    action = "feedback"
    REOPEN_CHOICES = [
        ("", _("по оценке: низкая или комментарий без оценки — вернуть в работу")),
        ("yes", _("вернуть в работу (жалоба)")),
        ("no", _("закрыть (благодарность, вопрос решён)")),
    ]
    rating = forms.TypedChoiceField(
        label=_("Оценка заявителя"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 6)],
    )
    comment = forms.CharField(
        label=_("Комментарий заявителя"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reopen = forms.ChoiceField(label=_("Итог"), choices=REOPEN_CHOICES, required=False)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        reopen = {"yes": True, "no": False}.get(d.get("reopen") or "")
        return {
            **super().service_kwargs(),
            "rating": d.get("rating"),
            "comment": d.get("comment") or "",
            "reopen": reopen,
        }


class FastTrackForm(VersionForm):
    action = "set_fast_track"
    DECISIONS = [("yes", _("отметить повышенную важность")), ("no", _("отклонить предложение"))]
    value = forms.CharField(label=_("Решение куратора"), widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, **kwargs):
        kwargs.setdefault("initial", {})["value"] = "no" if case.fast_track else "yes"
        super().__init__(*args, case=case, **kwargs)
        if case.fast_track_proposed and not case.fast_track:
            # An administrator proposed it: the curator decides, either way.
            self.fields["value"].widget = forms.RadioSelect(choices=self.DECISIONS)

    def clean_value(self) -> bool:
        value = (self.cleaned_data["value"] or "").strip().lower()
        if value in ("yes", "true", "on", "1"):
            return True
        if value in ("no", "false", "off", "0"):
            return False
        raise forms.ValidationError(_("Выберите решение."))

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "value": self.cleaned_data["value"]}


class RegisterAppealForm(VersionForm):
    action = "register_appeal"
    registration_number = forms.CharField(
        label=_("Регистрационный номер"),
        required=False,
        max_length=64,
        help_text=_("Пусто — оставить присвоенный номер."),
    )
    registered_at = forms.DateTimeField(
        label=_("Дата регистрации"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Пусто — сейчас. Не позднее трёх дней с поступления (59-ФЗ ст. 8)."),
    )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            **super().service_kwargs(),
            "registration_number": d.get("registration_number") or "",
            "registered_at": d.get("registered_at"),
        }


class ForwardForm(VersionForm):
    action = "forward"
    to_body = forms.CharField(label=_("Куда направлено (орган по компетенции)"), max_length=300)
    notice = forms.CharField(
        label=_("Уведомление заявителя: когда и как"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {**super().service_kwargs(), "to_body": d["to_body"], "notice": d["notice"]}


class PublishInterimForm(VersionForm):
    action = "publish_interim"


class ReturnInterimForm(ReasonForm):
    action = "return_interim"


class ExtendForm(ReasonForm):
    action = "extend"
    days = forms.IntegerField(label=_("На сколько дней продлить"), min_value=1, max_value=30)
    notice = forms.CharField(
        label=_("Уведомление заявителя о продлении: когда и как"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {**super().service_kwargs(), "days": d["days"], "notice": d["notice"]}


#: the most cases one bulk action takes (a page of the list is at most 100 rows)
BULK_MAX = 200


class BulkForm(forms.Form):
    """The ticked rows of the list (``ids``), for one action of the bulk bar. Parses only:
    each case goes through its action's service, one by one (``cases.views``)."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("Сообщения"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["ids"].choices = (
            [(v, v) for v in self.data.getlist("ids")] if hasattr(self.data, "getlist") else []
        )

    def clean_ids(self) -> list[int]:
        # Each once, in the order ticked; no more than the longest page shows.
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) > BULK_MAX:
            raise forms.ValidationError(_("Не больше %(n)s сообщений за раз.") % {"n": BULK_MAX})
        return ids


def _active_categories():
    return Category.objects.filter(is_active=True).order_by("sort_order", "name")


class BulkAssignForm(BulkForm):
    """Assign many cases of the moderation queue to one organisation at once."""

    organization = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Организация-исполнитель")
    )
    category = CategoryTreeField(
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("категория: не менять"),
        label=_("Категория (если не указана в сообщении)"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        orgs = Organisation.objects.filter(is_active=True).select_related("municipality")
        if not user.is_superuser:
            orgs = orgs.filter(municipality_id=user.municipality_id)
        self.fields["organization"].queryset = orgs
        self.fields["category"].queryset = _active_categories()


#: the bulk bar's grounds of a rejection (a subset of the card's ``REJECT_REASONS``)
BULK_REJECT_REASONS = [
    ("spam", _("как спам")),
    ("duplicate", _("как дубликат")),
]


class BulkRejectForm(BulkForm):
    """Reject the ticked cases as spam, or as duplicates of one original (its number).
    The original is looked up here among the cases the user sees, so a number that is
    not there, or one of the ticked cases itself, changes nothing; ``case_reject`` then
    checks it again for each case (the same municipality)."""

    reason_kind = forms.ChoiceField(
        label=_("Основание"),
        choices=BULK_REJECT_REASONS,
        error_messages={
            "required": _("Выберите основание."),
            "invalid_choice": _("Выберите основание."),
        },
    )
    duplicate_of = forms.CharField(
        label=_("Номер исходного сообщения"), required=False, max_length=64
    )

    def clean(self):
        data = super().clean()
        if data.get("reason_kind") != "duplicate":
            data["duplicate_of"] = ""
            return data
        number = registration_number_clean(data.get("duplicate_of"))
        if not number:
            self.add_error("duplicate_of", _("Укажите номер исходного сообщения."))
            return data
        originals = case_ids_by_number(user=self.user, number=number)
        if not originals:
            self.add_error(
                "duplicate_of",
                _("Сообщение № %(number)s не найдено.") % {"number": number},
            )
        elif set(originals) & set(data.get("ids") or ()):
            self.add_error(
                "duplicate_of",
                _("Сообщение № %(number)s отмечено само: оно не может быть своим дубликатом.")
                % {"number": number},
            )
        data["duplicate_of"] = number
        return data

    def service_kwargs(self) -> dict:
        """``case_reject``'s arguments, worded as the card's reject form words them."""
        if self.cleaned_data["reason_kind"] == "duplicate":
            return {"duplicate_of": self.cleaned_data["duplicate_of"]}
        return {"reason": str(dict(REJECT_REASONS)["spam"])}


class BulkCategoryForm(BulkForm):
    """Set one category on the ticked cases (``case_set_category``)."""

    category = CategoryTreeField(
        queryset=Category.objects.none(),
        label=_("Категория"),
        error_messages={
            "required": _("Выберите категорию."),
            "invalid_choice": _("Выберите категорию из списка."),
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["category"].queryset = _active_categories()


class NewCaseForm(forms.Form):
    """«Новое обращение»: what the centre takes in by hand. Parses only; the service
    decides (``case_register_by_staff``)."""

    kind = forms.ChoiceField(label=_("Вид"), choices=CaseKind.choices)
    channel = forms.ChoiceField(label=_("Канал"), choices=Channel.choices)
    received_at = forms.DateTimeField(
        label=_("Поступило"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Пусто — сейчас."),
    )
    text = forms.CharField(
        label=_("Текст: что сообщил заявитель"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    author_name = forms.CharField(label=_("Заявитель"), required=False, max_length=300)
    author_contacts = forms.CharField(
        label=_("Телефон или e-mail заявителя"), required=False, max_length=300
    )
    source_url = forms.URLField(
        assume_scheme="https",
        label=_("Ссылка на пост или сообщение"),
        required=False,
        max_length=500,
        help_text=_("Для найденного ручным мониторингом официальных страниц."),
    )
    author_url = forms.URLField(
        assume_scheme="https", label=_("Профиль автора"), required=False, max_length=500
    )
    address = forms.CharField(label=_("Адрес"), required=False, max_length=500)
    district = forms.ModelChoiceField(
        queryset=District.objects.none(), label=_("Район"), required=False, empty_label="—"
    )
    register_appeal = forms.BooleanField(
        label=_("Зарегистрировать обращение сейчас (59-ФЗ ст. 8)"), required=False, initial=True
    )
    registration_number = forms.CharField(
        label=_("Регистрационный номер"),
        required=False,
        max_length=64,
        help_text=_("Пусто — по формату МЦУ."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        kinds = user.coordinated_kinds if user.role == "administrator" else CaseKind.values
        self.fields["kind"].choices = [(k, label) for k, label in CaseKind.choices if k in kinds]
        self.fields["district"].queryset = District.objects.filter(
            municipality_id=user.municipality_id
        )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "channel": d["channel"],
            "received_at": d.get("received_at"),
            "text": d["text"],
            "author_name": d.get("author_name") or "",
            "author_contacts": d.get("author_contacts") or "",
            "author_url": d.get("author_url") or "",
            "source_url": d.get("source_url") or "",
            "address": d.get("address") or "",
            "district": d.get("district"),
            "register_appeal": d.get("register_appeal", False),
            "registration_number": d.get("registration_number") or "",
        }


class CaseNoteForm(forms.Form):
    """An internal note on the card (never shown to the resident)."""

    text = forms.CharField(
        label=_("Внутренняя заметка"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Видят только центр и исполнитель; заявителю не показывается."),
        error_messages={"required": _("Введите текст заметки.")},
    )
