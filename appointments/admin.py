"""The operator's side of appointments: which video services are approved for integration."""

from django.contrib import admin

from appointments.models import ClinicVideoService, DropInRoom, VideoService


@admin.register(VideoService)
class VideoServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "url_prefix", "approved"]
    list_filter = ["approved"]
    search_fields = ["name", "url_prefix"]


@admin.register(ClinicVideoService)
class ClinicVideoServiceAdmin(admin.ModelAdmin):
    list_display = ["organisation", "video_service"]
    list_select_related = ["organisation", "video_service"]


@admin.register(DropInRoom)
class DropInRoomAdmin(admin.ModelAdmin):
    list_display = ["service", "title", "active"]
    list_select_related = ["service__organisation"]
