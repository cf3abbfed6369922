"""Notices to citizens that something new is waiting on the portal (DESIGN §7, domain brief §8.1).

A notice is never lost: `citizen_notify` writes one outbox row per channel (`Notice`) in the
same transaction as the event, a Celery worker sends it (`notice_deliver`), a failed send is
tried again with exponential back-off up to HN_NOTICE_MAX_ATTEMPTS, and a notice that used them
all is `failed`, listed for operators (`manage.py notices`, the admin) and replayable. A beat
sweeper re-sends pending rows whose worker message was lost.

A notice never carries health content: callers cannot pass any text, only the person and the
portal path the notice links to. The wording is fixed here, so no feature can leak a tool name,
a diagnosis or a note into an SMS or an e-mail by accident. Contact data (mobile, e-mail) comes
from the population register (`Person`), as Helsenorge takes it from KRR.
"""

import datetime
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationPreference, Person
from helsenorge.pagecache import persons_changed
from messaging.models import Notice, NoticeChannel, NoticeEvent, NoticeState
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


def citizen_notify(*, person: Person, path: str) -> list[Notice]:
    """Tell the person, on their chosen channels, that something new is waiting at `path`.

    One outbox row per channel is written in the caller's transaction, so a notice exists exactly
    when the event does (nothing if it rolls back); after commit a worker sends it, retrying with
    back-off (`notice_deliver`). Returns the rows queued.
    """
    notice_link(path)  # refuse a foreign link now, not in the worker
    channels = notification_channels(person=person)
    now = timezone.now()
    rows = []
    if channels.sms_enabled and person.mobile:
        rows.append(Notice(channel=NoticeChannel.SMS, recipient=person.mobile))
    if channels.email_enabled and person.email:
        rows.append(Notice(channel=NoticeChannel.EMAIL, recipient=person.email))
    if not rows:
        logger.info("notice for person %s not queued: no contact data for the chosen channels", person.pk)
        return []
    event = NoticeEvent.objects.create(person=person, path=path, created_at=now)
    for row in rows:
        row.person, row.path, row.next_attempt_at, row.event = person, path, now, event
    Notice.objects.bulk_create(rows)
    transaction.on_commit(partial(notices_enqueue, [row.pk for row in rows]), robust=True)
    return rows


def notices_enqueue(notice_ids) -> None:
    """Hand the notices to the worker. Should the broker be down, the rows wait for the sweeper."""
    from messaging.tasks import notice_send  # late: the tasks module imports this one

    for notice_id in notice_ids:
        notice_send.delay(notice_id)


# --- the citizen's list ("Varsler"): one row per event, whatever channels carried it -----------


def notice_events(*, person: Person | int) -> QuerySet[NoticeEvent]:
    """The notices sent to `person` themselves (their own phone and e-mail), newest first.

    Always the signed-in citizen's own: a parent or proxy got their own notice for what they
    may follow, so acting for someone never shows that person's notices.
    """
    return NoticeEvent.objects.filter(person=person).order_by("-created_at", "-pk")


def notice_unread_count(*, person: Person | int) -> int:
    return NoticeEvent.objects.filter(person=person, read_at__isnull=True).count()


def notice_follow(*, person: Person | int, event_id: int) -> NoticeEvent | None:
    """Mark the person's notice read (the first time) and return it; None when it is not theirs."""
    event = NoticeEvent.objects.filter(person=person, pk=event_id).first()
    if event is None:
        return None
    if event.read_at is None:
        event.read_at = timezone.now()
        NoticeEvent.objects.filter(pk=event.pk, read_at__isnull=True).update(read_at=event.read_at)
        persons_changed([event.person_id])  # a bulk update: no save for helsenorge.pagecache to see
    return event


# --- sending: one attempt per call, by the worker -----------------------------------------------


@dataclass(frozen=True)
class NoticeAttempt:
    state: str  # the notice's state afterwards, or "skipped" when it was not due / not pending
    retry_in: float | None = None  # seconds until the next attempt, when one is due


def notice_backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure: base × 2^(attempts-1), at most the maximum."""
    delay = settings.HN_NOTICE_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(delay, settings.HN_NOTICE_BACKOFF_MAX_SECONDS)


def _claim_seconds() -> float:
    # Longer than any one send may take: a worker that dies mid-send frees the row after this.
    return 2 * settings.HN_SMS_GATEWAY_TIMEOUT_SECONDS + 60


def notice_deliver(*, notice_id: int, now: datetime.datetime | None = None) -> NoticeAttempt:
    """Make one attempt at sending a pending, due notice. Safe to run twice or at once: the
    conditional update that counts the attempt is the claim, so only one caller sends."""
    now = now or timezone.now()
    claimed = Notice.objects.filter(pk=notice_id, state=NoticeState.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + datetime.timedelta(seconds=_claim_seconds())
    )
    if not claimed:
        return NoticeAttempt("skipped")
    notice = Notice.objects.get(pk=notice_id)
    try:
        _notice_send(notice)
    except Exception as error:  # any failure of the channel is one failed attempt
        reason = f"{type(error).__name__}: {error}"[:1000]
        if notice.attempts >= settings.HN_NOTICE_MAX_ATTEMPTS:
            Notice.objects.filter(pk=notice.pk).update(
                state=NoticeState.FAILED, failed_at=timezone.now(), last_error=reason
            )
            logger.error("notice %s failed for good after %s attempts: %s", notice.pk, notice.attempts, reason)
            return NoticeAttempt(NoticeState.FAILED)
        delay = notice_backoff(notice.attempts)
        Notice.objects.filter(pk=notice.pk).update(
            next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay), last_error=reason
        )
        logger.warning("notice %s attempt %s failed, next in %.0f s: %s", notice.pk, notice.attempts, delay, reason)
        return NoticeAttempt(NoticeState.PENDING, retry_in=delay)
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.SENT, sent_at=timezone.now())
    return NoticeAttempt(NoticeState.SENT)


def _notice_send(notice: Notice) -> None:
    subject, body, sms = notice_texts(notice_link(notice.path))
    if notice.channel == NoticeChannel.SMS:
        sms_send(to=notice.recipient, text=sms)
    else:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notice.recipient], fail_silently=False)


def notices_due(*, stale_seconds: float) -> list[int]:
    """Pending notices due for `stale_seconds` already: their worker message was lost."""
    due = timezone.now() - datetime.timedelta(seconds=stale_seconds)
    return list(
        Notice.objects.filter(state=NoticeState.PENDING, next_attempt_at__lte=due)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )


# --- operators: status, failures, replay (manage.py notices, the admin at /drift/) --------------


@dataclass(frozen=True)
class NoticeStatus:
    counts: dict  # {channel: {state: n}}
    oldest_pending_seconds: float | None


def notices_status() -> NoticeStatus:
    counts: dict = {}
    for row in Notice.objects.values("channel", "state").annotate(n=Count("pk")).order_by():
        counts.setdefault(row["channel"], {})[row["state"]] = row["n"]
    oldest = Notice.objects.filter(state=NoticeState.PENDING).order_by("created_at").first()
    age = (timezone.now() - oldest.created_at).total_seconds() if oldest else None
    return NoticeStatus(counts=counts, oldest_pending_seconds=age)


def notices_failed(*, limit: int = 100):
    return Notice.objects.filter(state=NoticeState.FAILED).order_by("failed_at", "pk")[:limit]


@transaction.atomic
def notice_replay(*, notice_id: int) -> bool:
    """Give a failed notice a fresh set of attempts; False when it is not failed."""
    replayed = Notice.objects.filter(pk=notice_id, state=NoticeState.FAILED).update(
        state=NoticeState.PENDING, attempts=0, next_attempt_at=timezone.now(), failed_at=None
    )
    if replayed:
        transaction.on_commit(partial(notices_enqueue, [notice_id]), robust=True)
    return bool(replayed)


def notices_replay_failed() -> int:
    ids = list(Notice.objects.filter(state=NoticeState.FAILED).values_list("pk", flat=True))
    return sum(notice_replay(notice_id=pk) for pk in ids)
