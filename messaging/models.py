"""The relay's tables: the national message broker both sides talk through (DESIGN §2, §4, §5).

The relay owns these rows; portal and EPJ feature code reach them only through
`messaging.relay` (send, handlers, listeners, `envelope_for`), never by querying them.
"""

from django.db import models
from django.db.models import Q
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    PORTAL = "portal", _("Portalen")
    EPJ = "epj", _("EPJ")


class Channel(models.TextChoices):
    ASYNC = "async", _("Asynkron")
    SYNC = "sync", _("Synkron")


class EnvelopeKind(models.TextChoices):
    MESSAGE = "message", _("Melding")
    APPREC = "apprec", _("Applikasjonskvittering")
    REQUEST = "request", _("Synkron forespørsel")
    REPLY = "reply", _("Synkront svar")


class EnvelopeState(models.TextChoices):
    QUEUED = "queued", _("I kø")
    SENT = "sent", _("Levert til mottaker, venter på kvittering")
    DELIVERED = "delivered", _("Levert")
    REJECTED = "rejected", _("Avvist")
    DEAD = "dead", _("Død (krever behandling)")
    EXPIRED = "expired", _("Tidsavbrudd")
    DISCARDED = "discarded", _("Forkastet (for sent svar)")


class PayloadField(models.BinaryField):
    """A BinaryField that lets PostgreSQL bulk-insert it through UNNEST.

    Django gives BinaryField a per-value `get_placeholder` hook (only MySQL needs it; on
    PostgreSQL and SQLite it returns "%s"), and a model with such a field is bulk-inserted as
    VALUES (%s, …) with one placeholder per column per row: a large batch is tens of thousands of
    placeholders that psycopg splits and PostgreSQL plans one by one (docs/benchmarks.md, relay).
    Without the hook the batch is one UNNEST of one array per column.
    """

    @property
    def get_placeholder(self):
        raise AttributeError("get_placeholder")  # hasattr() is how Django asks


def queue_name(side: str, channel: str) -> str:
    """The Celery queue whose worker delivers to `side` on `channel` (e.g. "epj.async")."""
    return f"{side}.{channel}"


class Envelope(models.Model):
    """One document on its way from one side to the other: the sender's outbox row.

    The transport metadata (msg_id, msg_type, HER-ids) is what the broker's AMQP properties
    carry in the real network; it lets the receiver answer even when the payload is unreadable.
    """

    side = models.CharField(_("avsenderside"), max_length=10, choices=Side.choices)
    to_side = models.CharField(_("mottakerside"), max_length=10, choices=Side.choices)
    channel = models.CharField(_("kanal"), max_length=5, choices=Channel.choices, default=Channel.ASYNC)
    kind = models.CharField(_("type"), max_length=10, choices=EnvelopeKind.choices, default=EnvelopeKind.MESSAGE)
    msg_id = models.CharField(_("MsgId"), max_length=100)
    msg_type = models.CharField(_("meldingsfunksjon"), max_length=60, blank=True)
    sender_her_id = models.PositiveIntegerField(_("avsender HER-id"), null=True, blank=True)
    sender_sub_her_id = models.PositiveIntegerField(_("avsender HER-id nivå 2"), null=True, blank=True)
    receiver_her_id = models.PositiveIntegerField(_("mottaker HER-id"), null=True, blank=True)
    receiver_sub_her_id = models.PositiveIntegerField(_("mottaker HER-id nivå 2"), null=True, blank=True)
    payload = PayloadField(_("innhold"))
    # When `payload` no longer holds the document these say what it was: a document refused for
    # its size is never stored (its dead letter keeps the size, when the transport knew it, and the
    # SHA-256 of the bytes read; messaging/relay/intake.py), and retention empties a settled one
    # (messaging/relay/retention.py).
    payload_size = models.PositiveBigIntegerField(_("størrelse (byte)"), null=True, blank=True)
    payload_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # Raw bytes injected by an operator carry no trustworthy transport metadata.
    metadata_trusted = models.BooleanField(default=True)
    original_msg_id = models.CharField(_("original MsgId"), max_length=100, blank=True)

    state = models.CharField(_("status"), max_length=10, choices=EnvelopeState.choices, default=EnvelopeState.QUEUED)
    attempts = models.PositiveIntegerField(_("forsøk"), default=0)
    next_attempt_at = models.DateTimeField(_("neste forsøk"))
    claimed_by = models.CharField(_("tatt av"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("tatt"), null=True, blank=True)

    queued_at = models.DateTimeField(_("lagt i kø"))
    sent_at = models.DateTimeField(_("levert til mottaker"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("kvittert OK"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("avvist"), null=True, blank=True)
    dead_at = models.DateTimeField(_("død"), null=True, blank=True)

    apprec_status = models.PositiveSmallIntegerField(_("kvitteringsstatus"), null=True, blank=True)
    error_text = models.TextField(_("feiltekst"), blank=True)
    # Retention (messaging/relay/retention.py): once purged, `payload` is empty and
    # payload_size/payload_sha256 say what it was.
    purged_at = models.DateTimeField(_("innhold slettet"), null=True, blank=True)

    class Meta:
        verbose_name = _("konvolutt")
        verbose_name_plural = _("konvolutter")
        constraints = [
            models.UniqueConstraint(fields=["side", "msg_id"], name="envelope_msg_id_unique_per_side"),
            models.CheckConstraint(condition=~Q(side=models.F("to_side")), name="envelope_crosses_sides"),
        ]
        # Partial indexes: a row is in one only while it is in the state that index serves, so
        # the four or five state changes of every message touch few index entries (this table
        # is a queue; docs/relay.md, performance).
        indexes = [
            # The delivery claim: due rows for one receiving queue, oldest first.
            models.Index(
                fields=["to_side", "channel", "next_attempt_at"],
                name="envelope_due",
                condition=Q(state__in=[EnvelopeState.QUEUED, EnvelopeState.EXPIRED]),
            ),
            # A synchronous caller collecting its reply.
            models.Index(fields=["original_msg_id"], name="envelope_reply_for", condition=Q(kind=EnvelopeKind.REPLY)),
            # `relay dead`.
            models.Index(fields=["dead_at"], name="envelope_dead", condition=Q(state=EnvelopeState.DEAD)),
            # The retention purge: rows still holding content, oldest first. The predicate names
            # no column a state change touches, so claims and settling stay HOT updates.
            models.Index(fields=["queued_at"], name="envelope_unpurged", condition=Q(purged_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.msg_type} {self.msg_id} ({self.side}→{self.to_side}, {self.state})"

    @property
    def queue(self) -> str:
        return queue_name(self.to_side, self.channel)


class InboxOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Mottatt")
    REJECTED = "rejected", _("Avvist")
    APPLIED = "applied", _("Kvittering registrert")
    REPLIED = "replied", _("Besvart (synkront)")


class InboxMessage(models.Model):
    """Every MsgId a side has received. The unique constraint makes redelivery a no-op."""

    side = models.CharField(_("mottakerside"), max_length=10, choices=Side.choices)
    msg_id = models.CharField(_("MsgId"), max_length=100)
    msg_type = models.CharField(_("meldingsfunksjon"), max_length=60, blank=True)
    sender_her_id = models.PositiveIntegerField(_("avsender HER-id"), null=True, blank=True)
    envelope = models.ForeignKey(Envelope, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbox_rows")
    outcome = models.CharField(_("utfall"), max_length=10, choices=InboxOutcome.choices)
    # The AppRec (or sync reply) this side answered with, so a redelivery can answer the same.
    answer = models.ForeignKey(Envelope, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers_to")
    received_at = models.DateTimeField(_("mottatt"), auto_now_add=True)

    class Meta:
        verbose_name = _("mottatt melding")
        verbose_name_plural = _("mottatte meldinger")
        constraints = [models.UniqueConstraint(fields=["side", "msg_id"], name="inbox_msg_id_unique_per_side")]

    def __str__(self):
        return f"{self.side} ← {self.msg_type} {self.msg_id}"


class TransportErrorOutcome(models.TextChoices):
    FILED = "filed", _("Registrert på meldingen")
    SETTLED = "settled", _("Meldingen var allerede kvittert")
    UNKNOWN = "unknown", _("Ukjent MsgId")
    MISMATCH = "mismatch", _("Avsenderen er ikke meldingens mottaker")


class TransportErrorMessage(models.Model):
    """An error message a receiver sent to one of this side's `_error` queues: kept as it came,
    keyed on its own message-id, with what it was filed against (or why it was not)."""

    side = models.CharField(_("mottakerside"), max_length=10, choices=Side.choices)
    message_id = models.CharField(_("meldings-id"), max_length=100)
    queue = models.CharField(_("kø"), max_length=100)
    original_msg_id = models.CharField(_("original MsgId"), max_length=100, blank=True)
    condition = models.CharField(_("feiltilstand"), max_length=60, blank=True)
    description = models.TextField(_("feilbeskrivelse"), blank=True)
    condition_data = models.TextField(_("feildata"), blank=True)
    receiver_timestamp = models.CharField(_("mottakerens tidsstempel"), max_length=40, blank=True)
    from_her_id = models.PositiveIntegerField(_("fra HER-id"), null=True, blank=True)
    to_her_id = models.PositiveIntegerField(_("til HER-id"), null=True, blank=True)
    original = models.ForeignKey(
        Envelope, null=True, blank=True, on_delete=models.SET_NULL, related_name="transport_errors"
    )
    outcome = models.CharField(_("utfall"), max_length=10, choices=TransportErrorOutcome.choices)
    received_at = models.DateTimeField(_("mottatt"), auto_now_add=True)

    class Meta:
        verbose_name = _("transportfeil")
        verbose_name_plural = _("transportfeil")
        constraints = [models.UniqueConstraint(fields=["side", "message_id"], name="transport_error_unique_per_side")]

    def __str__(self):
        return f"{self.side} ← {self.condition} for {self.original_msg_id}"


class RelayQueueKick(models.Model):
    """Whether a delivery task is already on its way for a queue, so senders enqueue one, not one each.

    A sender sets `pending` after its commit and enqueues only when it flipped the flag; the
    worker clears it before it scans, so a row committed before the flip is always seen. A
    sender that finds it set reads it after its commit, or on PostgreSQL `FOR SHARE` in its
    INSERT (messaging/relay/kicks.py).
    """

    queue = models.CharField(max_length=20, unique=True)
    pending = models.BooleanField(default=False)
    kicked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.queue} ({'pending' if self.pending else 'idle'})"


# --- notices to citizens (messaging/notifications.py) -------------------------------------------


class NoticeChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-post")


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Venter")
    SENT = "sent", _("Sendt")
    FAILED = "failed", _("Feilet (krever behandling)")


# What a notice was about, from the app its link leads to: never any wording of the event itself.
NOTICE_TOPICS = {
    "dialogs": _("Ny melding"),
    "appointments": _("Timeavtale"),
    "journal": _("Nye dokumenter"),
    "tools": _("Nytt verktøy"),
}


class NoticeEvent(models.Model):
    """One thing the citizen was told about, however many channels told them: the portal's "Varsler" row.

    `citizen_notify` writes it with its channel rows (`Notice`), so the list shows one row per event;
    it carries the same portal path and no wording, and `read_at` is when the citizen followed it.
    """

    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="notice_events")
    path = models.CharField(_("lenke"), max_length=500)
    created_at = models.DateTimeField(_("varslet"), default=timezone.now)
    read_at = models.DateTimeField(_("lest"), null=True, blank=True)

    class Meta:
        verbose_name = _("varsel i portalen")
        verbose_name_plural = _("varsler i portalen")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="notice_event_person_recent"),
            models.Index(fields=["person"], name="notice_event_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.path} #{self.pk}"

    @property
    def topic(self) -> str:
        """What the notice was about in words, from where its link leads (no content of the event)."""
        try:
            namespace = resolve(self.path).namespace
        except Resolver404:
            namespace = ""
        return str(NOTICE_TOPICS.get(namespace, _("Noe nytt på Helsenorge-portal")))


class Notice(models.Model):
    """One notice to one citizen on one channel: the outbox row, written in the event's transaction.

    It holds where to send and which portal path to link to, never any wording: the text is fixed
    in `messaging.notifications.notice_texts`, so no health content can reach a notice.
    """

    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="notices")
    event = models.ForeignKey(
        NoticeEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="notices", verbose_name=_("varsel")
    )
    channel = models.CharField(_("kanal"), max_length=5, choices=NoticeChannel.choices)
    recipient = models.CharField(_("mottaker"), max_length=254)  # the mobile number or e-mail address
    path = models.CharField(_("lenke"), max_length=500)
    state = models.CharField(_("status"), max_length=10, choices=NoticeState.choices, default=NoticeState.PENDING)
    attempts = models.PositiveIntegerField(_("forsøk"), default=0)
    next_attempt_at = models.DateTimeField(_("neste forsøk"))
    created_at = models.DateTimeField(_("lagt i kø"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    failed_at = models.DateTimeField(_("feilet"), null=True, blank=True)
    last_error = models.TextField(_("siste feil"), blank=True)

    class Meta:
        verbose_name = _("varsel")
        verbose_name_plural = _("varsler")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweeper's scan for pending notices whose worker message was lost.
            models.Index(fields=["next_attempt_at"], name="notice_pending_due", condition=Q(state="pending")),
            models.Index(fields=["failed_at"], name="notice_failed", condition=Q(state="failed")),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.pk} ({self.state})"
