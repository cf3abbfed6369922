"""The production URLs plus the yardstick view of `bench web` (mounted only under bench.settings)."""

from django.urls import path

from bench.views import bench_row
from helsenorge.urls import urlpatterns as production_urlpatterns

urlpatterns = [
    *production_urlpatterns,
    path("bench/rad/<id:her_id>/", bench_row, name="bench_row"),
]
