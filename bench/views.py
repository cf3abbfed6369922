"""A yardstick view for `manage.py bench web`: the least a Django page can do with the database.

Mounted only by bench/urls.py under bench.settings (never in production): it reads one row by a unique
index through the full middleware stack, so the load benchmark can say what fraction of that
a real page achieves on the same machine in the same run.
"""

from django.http import HttpResponse

from clinics.models import Organisation


def bench_row(request, her_id: int):
    name = Organisation.objects.filter(her_id=her_id).values_list("name", flat=True).first()
    return HttpResponse(name or "-", content_type="text/plain; charset=utf-8")
