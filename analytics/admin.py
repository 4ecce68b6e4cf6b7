from django.contrib import admin

from mcu.admin_base import MunicipalAdmin

from .models import RatingWeights


@admin.register(RatingWeights)
class RatingWeightsAdmin(MunicipalAdmin):
    """Heads set their municipality's weights; the default row is the superuser's."""

    show_shared = True
    list_display = (
        "__str__",
        "on_time",
        "answered",
        "not_returned",
        "not_reopened",
        "satisfaction",
        "min_cases",
        "updated_at",
    )
    list_select_related = ("municipality",)
