"""The national access-log service: who read a citizen's health information, and what staff changed.

- `AccessLogEntry`: one time health personnel (or an operator, through break-glass) opened a
  citizen's information. Whoever looked reports it here (the EPJ for its staff, the portal for its
  operators); the citizen reads it on her access-log page.
- `StaffAuditEntry`: one thing staff or an operator changed.

Both are append-only. The citizen is named by her national identity number, the key both systems
share, so the log needs neither system's person table.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import StaffRole


class AppendOnlyQuerySet(models.QuerySet["AppendOnlyModel"]):
    """Bulk paths that would bypass the model's save()/delete() are closed too."""

    def update(self, **kwargs):
        raise PermissionDenied(self.model.refused_change)

    def delete(self):
        raise PermissionDenied(self.model.refused_delete)

    def bulk_update(self, objs, fields, batch_size=None):
        raise PermissionDenied(self.model.refused_change)

    def update_or_create(self, *args, **kwargs):
        raise PermissionDenied(self.model.refused_change)


class AppendOnlyModel(models.Model):
    """Rows are inserted, never changed or deleted (model and queryset; the admin and, on
    PostgreSQL, a trigger refuse too). Subclasses say in their own words what is refused."""

    refused_change = ""
    refused_delete = ""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied(self.refused_change)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(self.refused_delete)


# An operator acts for no organisation; the citizen reads this name and role instead.
OPERATOR_ROLE = "operator"
OPERATOR_ORGANISATION_NAME = "Helsenorge-portalen (drift)"


class AccessLogEntry(AppendOnlyModel):
    """One time health personnel (or an operator, through the break-glass page) opened a citizen's information.

    Names are copied at write time so the entry still reads right after someone changes job or
    name. Append-only: save() refuses updates, delete() refuses, the queryset refuses bulk
    update/delete, the admin is read-only, and on PostgreSQL a trigger refuses UPDATE and DELETE.
    """

    class What(models.TextChoices):
        MESSAGES = "messages", _("Meldinger")
        APPOINTMENTS = "appointments", _("Timeavtaler")
        RECORD = "record", _("Journal")
        DOCUMENTS = "documents", _("Dokumenter fra sykehus")
        JOURNAL_COPY = "journal_copy", _("Journalkopi")
        TOOLS = "tools", _("Verktøy fra helsetjenesten")

    ROLES = [*StaffRole.choices, (OPERATOR_ROLE, _("Driftsoperatør (nødtilgang)"))]

    # The citizen's national identity number (fødselsnummer or D-number): what both systems know.
    person_nin = models.CharField(_("fødselsnummer"), max_length=11)
    # Who looked, by what the reporting system knows of them (the national store holds no
    # system's users): the identity number HelseID vouches for, the login, and the name.
    actor_nin = models.CharField(_("hvem (fødselsnummer)"), max_length=11, blank=True, db_index=True)
    actor_email = models.CharField(_("hvem (innlogging)"), max_length=254, blank=True)
    actor_name = models.CharField(_("navn"), max_length=200)
    # Empty only for an operator's break-glass read (role "operator"): operators act for no clinic.
    organisation_her_id = models.PositiveIntegerField(_("virksomhet (HER-id)"), null=True, blank=True)
    organisation_name = models.CharField(_("virksomhetsnavn"), max_length=200)
    role = models.CharField(_("rolle"), max_length=20, choices=ROLES)
    what = models.CharField(_("hva"), max_length=20, choices=What.choices)
    object_ref = models.CharField(_("referanse"), max_length=100, blank=True)
    # The operator's stated reason for a break-glass read; the citizen reads it. Empty for staff.
    reason = models.CharField(_("begrunnelse"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("tidspunkt"), default=timezone.now, db_index=True)

    refused_change = "Tilgangsloggen kan ikke endres."
    refused_delete = "Tilgangsloggen kan ikke slettes."

    class Meta:
        verbose_name = _("oppslag i tilgangsloggen")
        verbose_name_plural = _("tilgangslogg")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person_nin", "-created_at"], name="access_log_person_recent")]
        default_permissions = ("add", "view")
        permissions = [("break_glass", _("Kan lese en innbyggers helseopplysninger med nødtilgang"))]

    def __str__(self):
        return f"{self.actor_name} ({self.organisation_name}) – {self.get_what_display()}"


class StaffAuditEntry(AppendOnlyModel):
    """One thing staff (or an operator) changed: a reply, a booking, a dispatched tool, a register change.

    The access log above records reads; this records writes, in the same transaction as the write.
    Only kinds and ids are kept here, never health content (`detail` is a short code such as
    "renewed"). The patient is the national identity number the writer used (empty when the change
    concerns no patient), so a citizen's data-access export finds every entry about her.
    Append-only in the same four ways as AccessLogEntry (model, queryset, admin, PostgreSQL trigger).
    """

    class Action(models.TextChoices):
        CASE_REPLY = "case.reply", _("Svar til pasient")
        CASE_CLOSE = "case.close", _("Sak avsluttet")
        CASE_CLAIM = "case.claim", _("Sak tatt")
        CASE_ASSIGN = "case.assign", _("Sak tildelt")
        CASE_START = "case.start", _("Melding startet av helsetjenesten")
        CHARGE_PAID = "charge.paid", _("Egenandel betalt")
        BOOKING_BOOK = "booking.book", _("Time bestilt i skranken")
        BOOKING_MOVE = "booking.move", _("Time flyttet i skranken")
        BOOKING_CANCEL = "booking.cancel", _("Time avbestilt i skranken")
        TOOL_SEND = "tool.send", _("Verktøy sendt")
        TOOL_ASSESS = "tool.assess", _("Verktøy vurdert")
        TOOL_WITHDRAW = "tool.withdraw", _("Verktøy trukket tilbake")
        SERVICE_PROCESSES = "register.service_processes", _("Tjenester slått av eller på")
        REGISTER_IMPORT = "register.import", _("Registerimport")
        BREAK_GLASS_READ = "breakglass.read", _("Nødtilgang: driftsoperatør leste helseopplysninger")
        PATIENT_LIST_ADD = "patient.list_add", _("Pasient ført på tjenestens liste")
        PATIENT_LIST_END = "patient.list_end", _("Pasientforhold avsluttet")

    # As on AccessLogEntry; all empty for a command-line change.
    actor_nin = models.CharField(_("hvem (fødselsnummer)"), max_length=11, blank=True, db_index=True)
    actor_email = models.CharField(_("hvem (innlogging)"), max_length=254, blank=True)
    actor_name = models.CharField(_("navn"), max_length=200)
    organisation_her_id = models.PositiveIntegerField(_("virksomhet (HER-id)"), null=True, blank=True)
    organisation_name = models.CharField(_("virksomhetsnavn"), max_length=200, blank=True)
    action = models.CharField(_("handling"), max_length=40, choices=Action.choices)
    person_nin = models.CharField(_("fødselsnummer"), max_length=11, blank=True, db_index=True)
    object_ref = models.CharField(_("referanse"), max_length=100, blank=True)
    detail = models.CharField(_("detalj"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("tidspunkt"), default=timezone.now, db_index=True)

    refused_change = "Revisjonssporet kan ikke endres."
    refused_delete = "Revisjonssporet kan ikke slettes."

    class Meta:
        verbose_name = _("oppføring i revisjonssporet")
        verbose_name_plural = _("revisjonsspor for ansatte")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("add", "view")

    def __str__(self):
        return f"{self.actor_name} – {self.get_action_display()} {self.object_ref}"
