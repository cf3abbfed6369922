"""What a clinic's record system publishes in the address register for citizens to see.

Kept apart from clinics.services (the operators' and clinic admins' writes, which also write the
audit trail) so a record system can publish without importing anything of the portal.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinics.models import Service, ServiceAbsence
from helsenorge.routers import NATIONAL_DB


@transaction.atomic(using=NATIONAL_DB)
def service_absence_publish(
    *, service: Service, reference: str, text: str, substitute: str, starts: datetime.date, ends: datetime.date
) -> ServiceAbsence:
    """Publish (or correct) an absence in the register; `reference` is the publisher's id for it."""
    if ends < starts:
        raise ValidationError(_("Sluttdatoen må være etter startdatoen."))
    absence, _created = ServiceAbsence.objects.update_or_create(
        service=service,
        reference=reference,
        defaults={
            "text": text[:300],
            "substitute": substitute[:200],
            "starts": starts,
            "ends": ends,
            "withdrawn": False,
        },
    )
    return absence


@transaction.atomic(using=NATIONAL_DB)
def service_absence_withdraw(*, service: Service, reference: str) -> int:
    return ServiceAbsence.objects.filter(service=service, reference=reference).update(withdrawn=True)
