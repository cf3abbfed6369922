"""The operator's side of appointments: which video services are approved for integration."""

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db import models

from appointments.models import ClinicVideoService, DropInRoom, VideoService
from helsenorge.admin_stores import RegisterColumnsApart

# A URL typed without a scheme means https (Django 6's default).
HTTPS_URLS: Mapping[type[models.Field], Mapping[str, Any]] = {models.URLField: {"assume_scheme": "https"}}


@admin.register(VideoService)
class VideoServiceAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "url_prefix", "approved"]
    list_filter = ["approved"]
    search_fields = ["name", "url_prefix"]


@admin.register(ClinicVideoService)
class ClinicVideoServiceAdmin(RegisterColumnsApart):
    list_display = ["organisation", "video_service"]
    list_select_related = ("video_service",)
    list_prefetch = ("organisation",)


@admin.register(DropInRoom)
class DropInRoomAdmin(RegisterColumnsApart):
    formfield_overrides = HTTPS_URLS
    list_display = ["service", "title", "active"]
    list_prefetch = ("service__organisation",)
