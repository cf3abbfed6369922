"""Portal-side demo data for appointments (called by `manage.py seed_demo`): the operator's approved
video service, the clinics' choice of it, and a drop-in video room on Kari Lege's page. Idempotent."""

import datetime

from django.db import transaction

from appointments.models import ClinicVideoService, DropInRoom, VideoService
from clinics.models import Organisation, Service

DEMO_VIDEO_NAME = "Helsenorge demo-video"
DEMO_VIDEO_PREFIX = "https://video.helsenorge-demo.no/"


@transaction.atomic
def seed_video() -> None:
    video, _created = VideoService.objects.get_or_create(
        name=DEMO_VIDEO_NAME, defaults={"url_prefix": DEMO_VIDEO_PREFIX, "approved": True}
    )
    for organisation in Organisation.objects.filter(her_id__in=[8140001, 8140100, 8140200]):
        ClinicVideoService.objects.get_or_create(organisation=organisation, defaults={"video_service": video})
    service = Service.objects.filter(her_id=8140011).first()
    if service is not None and not DropInRoom.objects.filter(service=service).exists():
        room = DropInRoom.objects.create(
            service=service, title="Drop-in på video hos fastlegen", room_url=f"{DEMO_VIDEO_PREFIX}dropin/kari-lege"
        )
        for weekday in range(5):
            room.openings.create(weekday=weekday, opens=datetime.time(8, 0), closes=datetime.time(15, 30))
