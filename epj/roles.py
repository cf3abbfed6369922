"""What each clinic role may do in the EPJ (DESIGN §7). The services ask here; the pages only hide.

Roles per organisation (`clinics.models.StaffRole`):

- **reception**: the desk's front line. Reads and distributes the case queue, answers and closes
  e-kontakt (practical questions), books, moves and cancels appointments, registers payments,
  handles journal-copy requests (prints and sends the copy) and keeps the services' patient lists
  (puts a resident on a list, ends a relationship).
- **clinician** (health personnel with an HPR number): everything reception does, and the
  clinical acts: answering and closing e-konsultasjon (which records fee code 2ae) and
  prescription renewals, starting a conversation with a patient, setting absence for their own
  service, publishing a hospital's documents and reading shared documents of a treated patient.
- **clinic admin**: runs the clinic, not the treatment. Everything reception does, absence
  notices for every service, starting an e-kontakt on the clinic's behalf, publishing a
  hospital's documents (the archive's job), the register settings and the video service. Not
  health personnel: no e-konsultasjon, no renewal and no shared documents.

A refusal raises `StaffActionRefused` before anything is written; the views answer it with a
403 page that names the reason.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinics.models import Organisation, Process, StaffRole
from epj.models import Employment
from epj.staff import StaffUser as User
from epj.staff import employment_of


class StaffActionRefused(PermissionDenied):
    """The staff member's role does not allow the action; str() is the reason shown to them."""


class StaffAction(models.TextChoices):
    ANSWER_EKONTAKT = "answer_ekontakt", gettext_lazy("svare på e-kontakt")
    ANSWER_EKONSULTASJON = "answer_ekonsultasjon", gettext_lazy("svare på e-konsultasjon")
    ANSWER_RENEWAL = "answer_renewal", gettext_lazy("fornye eller avslå resepter")
    THREAD_START = "thread_start", gettext_lazy("skrive først til en pasient")
    ABSENCE_ANY_SERVICE = "absence_any_service", gettext_lazy("legge inn fravær for alle tjenester")
    ABSENCE_OWN_SERVICE = "absence_own_service", gettext_lazy("legge inn fravær for egen tjeneste")
    CHARGE_PAID = "charge_paid", gettext_lazy("registrere betalt egenandel")
    CASE_DISTRIBUTE = "case_distribute", gettext_lazy("ta og tildele saker")
    COPY_SEND = "copy_send", gettext_lazy("sende journalkopi")
    DOCUMENT_PUBLISH = "document_publish", gettext_lazy("dele sykehusdokumenter")
    SHARED_DOCUMENTS_READ = "shared_documents_read", gettext_lazy("lese delte dokumenter")
    BOOKING = "booking", gettext_lazy("bestille, flytte og avbestille timer")
    PATIENT_LIST = "patient_list", gettext_lazy("føre pasientlisten")


_RECEPTION = frozenset(
    {
        StaffAction.ANSWER_EKONTAKT,
        StaffAction.CHARGE_PAID,
        StaffAction.CASE_DISTRIBUTE,
        StaffAction.COPY_SEND,
        StaffAction.BOOKING,
        StaffAction.PATIENT_LIST,
    }
)
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    StaffRole.RECEPTION: _RECEPTION,
    StaffRole.CLINICIAN: _RECEPTION
    | {
        StaffAction.ANSWER_EKONSULTASJON,
        StaffAction.ANSWER_RENEWAL,
        StaffAction.THREAD_START,
        StaffAction.ABSENCE_OWN_SERVICE,
        StaffAction.DOCUMENT_PUBLISH,
        StaffAction.SHARED_DOCUMENTS_READ,
    },
    StaffRole.CLINIC_ADMIN: _RECEPTION
    | {StaffAction.THREAD_START, StaffAction.ABSENCE_ANY_SERVICE, StaffAction.DOCUMENT_PUBLISH},
}

# Answering (or closing) a case is the act its kind asks for.
ANSWER_ACTION: dict[str, str] = {
    Process.EKONTAKT: StaffAction.ANSWER_EKONTAKT,
    Process.EKONSULTASJON: StaffAction.ANSWER_EKONSULTASJON,
    Process.RENEWAL: StaffAction.ANSWER_RENEWAL,
}


def role_may(*, role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())


def membership_may(*, membership: Employment | None, action: str) -> bool:
    return membership is not None and role_may(role=membership.role, action=action)


def staff_membership(*, user: User | None, organisation: Organisation) -> Employment | None:
    return employment_of(user=user, organisation_id=organisation.pk)


def action_required(*, membership: Employment | None, action: str) -> Employment:
    """The membership when its role allows `action`, else StaffActionRefused (nothing is written)."""
    if membership is None:
        raise StaffActionRefused(_("Du arbeider ikke i denne virksomheten."))
    if not role_may(role=membership.role, action=action):
        raise StaffActionRefused(
            _("Rollen %(role)s kan ikke %(action)s.")
            % {"role": membership.get_role_display().lower(), "action": StaffAction(action).label}
        )
    return membership


def staff_action_required(*, user: User | None, organisation: Organisation, action: str) -> Employment:
    return action_required(membership=staff_membership(user=user, organisation=organisation), action=action)
