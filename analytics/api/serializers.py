"""Output of the analytics API: the selectors' ``as_dict`` rows, described for the schema."""

from rest_framework import serializers


class RatingRowSerializer(serializers.Serializer):
    organization = serializers.IntegerField(allow_null=True, help_text="id организации")
    name = serializers.CharField()
    received = serializers.IntegerField()
    answered = serializers.IntegerField()
    answer_due = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue = serializers.IntegerField()
    pending = serializers.IntegerField()
    on_time_share = serializers.FloatField(allow_null=True)
    answer_hours_median = serializers.FloatField(allow_null=True)
    answer_hours_p90 = serializers.FloatField(allow_null=True)
    first_reply_hours_median = serializers.FloatField(allow_null=True)
    interim = serializers.IntegerField()
    broken_promises = serializers.IntegerField()
    submitted = serializers.IntegerField()
    returned = serializers.IntegerField()
    returned_share = serializers.FloatField(allow_null=True)
    reopened = serializers.IntegerField()
    reopened_share = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()
    satisfaction = serializers.FloatField(allow_null=True)
    low_share = serializers.FloatField(allow_null=True)
    repeated = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    ranked = serializers.BooleanField()
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)
    score_change = serializers.FloatField(allow_null=True)


class RatingSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    previous_from = serializers.DateField()
    previous_to = serializers.DateField()
    rows = RatingRowSerializer(many=True)
    total = RatingRowSerializer()


class NamedCountSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    count = serializers.IntegerField()


class ProblemSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    name = serializers.CharField()
    sector = serializers.CharField()
    count = serializers.IntegerField()
    previous = serializers.IntegerField()
    growth = serializers.IntegerField()
    growth_share = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()
    overdue_share = serializers.FloatField(allow_null=True)
    districts = NamedCountSerializer(many=True)
    addresses = NamedCountSerializer(many=True)
    executors = NamedCountSerializer(many=True)
    samples = serializers.ListField(child=serializers.CharField())


class TopProblemsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    results = ProblemSerializer(many=True)


class HeatCellSerializer(serializers.Serializer):
    district = serializers.IntegerField(allow_null=True)
    category = serializers.IntegerField()
    count = serializers.IntegerField()
    overdue = serializers.IntegerField()
    overdue_share = serializers.FloatField(allow_null=True)
    satisfaction = serializers.FloatField(allow_null=True)


class HeatmapSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    districts = serializers.ListField(child=serializers.DictField())
    categories = serializers.ListField(child=serializers.DictField())
    cells = HeatCellSerializer(many=True)
    weekday_hour = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="7 строк (пн…вс) × 24 часа, местное время МО",
    )


class RisingItemSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    name = serializers.CharField()
    sector = serializers.CharField()
    weeks = serializers.ListField(child=serializers.IntegerField())
    count = serializers.IntegerField()
    baseline = serializers.FloatField()
    p_value = serializers.FloatField()
    rising = serializers.BooleanField()


class RisingSerializer(serializers.Serializer):
    date_to = serializers.DateField()
    rule = serializers.CharField()
    results = RisingItemSerializer(many=True)
