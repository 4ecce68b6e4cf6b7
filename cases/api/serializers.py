from rest_framework import serializers

from cases.models import Case, CaseEvent
from cases.permissions import can_see_personal_data

PERSONAL_FIELDS = ("author_name", "author_url", "author_contacts")


class CaseSerializer(serializers.ModelSerializer):
    """A case as the API shows it. Personal data only for roles that need it."""

    municipality = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organization = serializers.PrimaryKeyRelatedField(source="organisation", read_only=True)
    organization_name = serializers.CharField(
        source="organisation.name", read_only=True, default=None
    )
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)
    district_name = serializers.CharField(source="district.name", read_only=True, default=None)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "registration_number", "municipality", "kind", "channel", "source",
            "external_id", "status", "status_display", "received_at", "text", "source_url",
            "author_name", "author_url", "author_contacts", "address", "latitude", "longitude",
            "district", "district_name", "category", "category_name", "organization",
            "organization_name", "assignee", "fast_track", "satisfaction", "repeat_count",
            "repeats", "duplicate_of", "published_at", "closed_at", "created_at", "updated_at",
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
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "actor", "action", "action_display", "from_status", "to_status",
                  "reason", "payload"]
        read_only_fields = fields

    def get_actor(self, obj) -> str | None:
        return obj.actor.full_name if obj.actor_id else None
