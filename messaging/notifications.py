"""Notices to citizens that something new is waiting on the portal (DESIGN §7, domain brief §8.1).

A notice never carries health content: callers cannot pass any text, only the person and the
portal path the notice links to. The wording is fixed here, so no feature can leak a tool name,
a diagnosis or a note into an SMS or an e-mail by accident. Contact data (mobile, e-mail) comes
from the population register (`Person`), as Helsenorge takes it from KRR.
"""

import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import NotificationPreference, Person
from messaging.sms import sms_send

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channels:
    email_enabled: bool
    sms_enabled: bool


def notification_channels(*, person: Person) -> Channels:
    """The person's chosen channels, or the defaults (SMS only) when they never chose."""
    preference = NotificationPreference.objects.filter(person=person).first()
    if preference is None:
        default = NotificationPreference()
        return Channels(email_enabled=default.email_enabled, sms_enabled=default.sms_enabled)
    return Channels(email_enabled=preference.email_enabled, sms_enabled=preference.sms_enabled)


@transaction.atomic
def notification_channels_set(*, person: Person, email_enabled: bool, sms_enabled: bool) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.update_or_create(
        person=person, defaults={"email_enabled": email_enabled, "sms_enabled": sms_enabled}
    )
    return preference


def notice_link(path: str) -> str:
    # Only our own site: a path, never a full URL someone could point elsewhere.
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"notice path must be a site path, got {path!r}")
    return f"{settings.SITE_URL}{path}"


def notice_texts(link: str) -> tuple[str, str, str]:
    """(e-mail subject, e-mail body, SMS text) — the only wording a notice ever has."""
    subject = _("Nytt på Helsenorge-portal")
    body = _(
        "Du har fått noe nytt på Helsenorge-portal.\n\nLogg inn for å se det: %(link)s\n\n"
        "Dette er en automatisk melding som ikke kan besvares."
    ) % {"link": link}
    sms = _("Du har fått noe nytt på Helsenorge-portal. Logg inn for å se det: %(link)s") % {"link": link}
    return subject, body, sms


def citizen_notify(*, person: Person, path: str) -> None:
    """Tell the person, on their chosen channels and after the caller's transaction commits,
    that something new is waiting at `path`. Nothing is sent if the transaction rolls back."""
    link = notice_link(path)
    transaction.on_commit(partial(_notice_deliver, person_id=person.pk, link=link), robust=True)


def _notice_deliver(*, person_id: int, link: str) -> None:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return
    channels = notification_channels(person=person)
    subject, body, sms = notice_texts(link)
    if channels.sms_enabled and person.mobile:
        sms_send(to=person.mobile, text=sms)
    if channels.email_enabled and person.email:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
    if not ((channels.sms_enabled and person.mobile) or (channels.email_enabled and person.email)):
        logger.info("notice for person %s not sent: no contact data for the chosen channels", person_id)
