from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import clocks
from cases.choices import CaseKind, CaseStatus, Channel
from cases.models import Answer, Attachment, Case, CaseEvent, CaseNote
from cases.permissions import can_see_personal_data
from cases.selectors import case_answers
from cases.services import case_allowed_actions
from cases.workflow import ACTIONS
from deadlines.state import CLOCK_STATES, clock_state
from mcu.models import Category, District, Organisation


def api_path(action: str) -> str:
    """The API's url path of an action: ``POST /api/v1/cases/{id}/<path>/``."""
    return action.replace("_", "-")


def api_paths() -> list[str]:
    return [api_path(a) for a in ACTIONS]


PERSONAL_FIELDS = ("author_name", "author_url", "author_contacts")


class BlankAsNullURLField(serializers.URLField):
    """A URL that may be missing: the model keeps "", the API says null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class CaseSerializer(serializers.ModelSerializer):
    """A case as the API shows it. Personal data only for roles that need it."""

    municipality = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organization = serializers.PrimaryKeyRelatedField(
        source="organisation", read_only=True, allow_null=True
    )
    organization_name = serializers.CharField(
        source="organisation.name", read_only=True, default=None, allow_null=True
    )
    category_name = serializers.CharField(
        source="category.name", read_only=True, default=None, allow_null=True
    )
    district_name = serializers.CharField(
        source="district.name", read_only=True, default=None, allow_null=True
    )
    # A link the channel did not give is null, not "" (which is no URI).
    source_url = BlankAsNullURLField(read_only=True)
    author_url = BlankAsNullURLField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "registration_number",
            "municipality",
            "kind",
            "channel",
            "source",
            "external_id",
            "status",
            "status_display",
            "received_at",
            "text",
            "source_url",
            "author_name",
            "author_url",
            "author_contacts",
            "address",
            "latitude",
            "longitude",
            "district",
            "district_name",
            "category",
            "category_name",
            "organization",
            "organization_name",
            "assignee",
            "fast_track",
            "satisfaction",
            "repeat_count",
            "repeats",
            "duplicate_of",
            "published_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not can_see_personal_data(getattr(request, "user", None)):
            for field in PERSONAL_FIELDS:
                data.pop(field, None)
        return data


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # "" when the event is not a transition (registration has no status before it).
    from_status = serializers.ChoiceField(
        choices=CaseStatus.choices, allow_blank=True, read_only=True
    )
    to_status = serializers.ChoiceField(
        choices=CaseStatus.choices, allow_blank=True, read_only=True
    )
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "action_display",
            "from_status",
            "to_status",
            "reason",
            "payload",
        ]
        read_only_fields = fields

    def get_actor(self, obj) -> str | None:
        return obj.actor.full_name if obj.actor_id else None


# ---------------------------------------------------------------------------------------
# Workflow: the case with its clocks and allowed actions, and one input per action
# ---------------------------------------------------------------------------------------


class ClockSerializer(serializers.Serializer):
    """One deadline clock of the case (DESIGN §4)."""

    stage = serializers.CharField()
    stage_display = serializers.CharField(source="get_stage_display")
    policy = serializers.CharField(source="policy.code", default=None, allow_null=True)
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=CLOCK_STATES))
    def get_state(self, obj) -> str:
        # The one definition of a clock's state (deadlines.state): a running clock past
        # due is «breached» here as on the badge, whether or not the sweep marked it.
        return clock_state(obj, now=self.context.get("now"))


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("cases:attachment", args=[obj.answer.case_id, obj.pk])


class AnswerSerializer(serializers.ModelSerializer):
    # Plain strings: their choice names collide with the case's ``kind`` and ``status``
    # enums in the OpenAPI schema.
    kind = serializers.CharField(read_only=True, help_text="interim | final")
    status = serializers.CharField(
        read_only=True, help_text="submitted | returned | approved | published"
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Answer
        fields = [
            "id",
            "kind",
            "status",
            "text",
            "promised_at",
            "created_at",
            "return_reason",
            "published_at",
            "attachments",
        ]
        read_only_fields = fields


class CaseWorkflowSerializer(CaseSerializer):
    """A case after an action: its status, version, clocks, answers and what the caller
    may do next."""

    clocks = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "version", "clocks", "allowed_actions", "answers"]
        read_only_fields = fields

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, obj) -> list:
        return ClockSerializer(clocks.for_case(obj), many=True, context=self.context).data

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=list(api_paths())))
    )
    def get_allowed_actions(self, obj) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return [api_path(a) for a in case_allowed_actions(user, obj)]

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, obj) -> list:
        return AnswerSerializer(case_answers(case=obj), many=True).data


class VersionInputSerializer(serializers.Serializer):
    """Every action's input: field names are the service's keyword arguments."""

    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Версия сообщения, которую видел пользователь; устаревшая — 409.",
    )


class ReasonInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=4000, trim_whitespace=True)


class AssignInputSerializer(VersionInputSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        source="organisation", queryset=Organisation.objects.all()
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    district = serializers.PrimaryKeyRelatedField(
        queryset=District.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    kind = serializers.ChoiceField(choices=CaseKind.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    propose_fast_track = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Предложить куратору повышенную важность (решает куратор).",
    )


class RejectInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    duplicate_of = serializers.CharField(
        required=False,
        max_length=64,
        help_text="Номер или id исходного сообщения (дубликат).",
    )


class RegisterAppealInputSerializer(VersionInputSerializer):
    registration_number = serializers.CharField(
        required=False, allow_blank=True, max_length=64, default=""
    )
    registered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ForwardInputSerializer(VersionInputSerializer):
    to_body = serializers.CharField(max_length=300)
    notice = serializers.CharField(max_length=2000)


class ExtendInputSerializer(ReasonInputSerializer):
    days = serializers.IntegerField(min_value=1, max_value=30)
    notice = serializers.CharField(max_length=2000)


class InterimAnswerInputSerializer(VersionInputSerializer):
    text = serializers.CharField(max_length=8000)
    promised_at = serializers.DateTimeField()


class SubmitAnswerInputSerializer(VersionInputSerializer):
    text = serializers.CharField(max_length=8000)
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Фото (JPEG, PNG, WebP, HEIC) и PDF; только в multipart/form-data.",
    )


class FeedbackInputSerializer(VersionInputSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=8000, default="")
    reopen = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Жалоба (true) или благодарность (false); по умолчанию — по оценке.",
    )


class FastTrackInputSerializer(VersionInputSerializer):
    value = serializers.BooleanField(
        help_text="true — отметить; false — снять отметку или отклонить предложение."
    )


class CaseNoteSerializer(serializers.ModelSerializer):
    """An internal note (centre ↔ executor); never part of any resident-facing output."""

    author = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()

    class Meta:
        model = CaseNote
        fields = ["id", "text", "author", "organisation", "created_at"]

    def get_author(self, obj) -> str:
        return obj.author.full_name or obj.author.username

    def get_organisation(self, obj) -> str | None:
        org = obj.author.organisation
        return str(org) if org is not None else None


class CaseNoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
