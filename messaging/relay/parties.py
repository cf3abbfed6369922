"""The communication parties the relay addresses: the portal itself and clinics from the register."""

from django.conf import settings

from clinics.models import Organisation, Service
from messaging.codec import Party

# The names the real messages give the default HER-ids (settings.HN_PORTAL_HER_ID / _SERVICE_).
PORTAL_NAME = "Direktoratet for e-helse"
PORTAL_SERVICE_NAME = "Helsenorge.no"


def portal_party() -> Party:
    """The portal as a sender/receiver: level 1 Helsenorge, level 2 the citizen services."""
    return Party(
        her_id=settings.HN_PORTAL_HER_ID,
        name=PORTAL_NAME,
        sub_her_id=settings.HN_PORTAL_SERVICE_HER_ID,
        sub_name=PORTAL_SERVICE_NAME,
    )


def clinic_party(*, service: Service) -> Party:
    return Party(
        her_id=service.organisation.her_id,
        name=service.organisation.name,
        sub_her_id=service.her_id,
        sub_name=service.name,
    )


def party_for_her_id(her_id: int) -> Party | None:
    """A clinic party from either HER-id level, or None when the register does not know it."""
    service = Service.objects.select_related("organisation").filter(her_id=her_id).first()
    if service:
        return clinic_party(service=service)
    organisation = Organisation.objects.filter(her_id=her_id).first()
    if organisation:
        return Party(her_id=organisation.her_id, name=organisation.name)
    return None
