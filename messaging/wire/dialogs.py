"""How the three citizen dialogs look on the wire, for both ends (docs/dialogs.md).

This module is an extension of the codec, not part of the portal's state: it only turns
domain values into codec dataclasses and back, and imports nothing but the codec, the
relay's party helpers and the register's process codes, so the simulated EPJ uses it exactly as a vendor would implement the same spec.

National values come from `messaging.codec.codes`. Where no national code exists (the
co-payment, a closed conversation) the values are PROJECT-DEFINED under the codec's
OID_PROJECT_* arcs. What the citizen sees before writing (absence, co-payment, renewable
prescriptions) is not asked of the clinic: it comes from the national services.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from clinics.models import Process
from messaging.codec import Foresporsel, Message, Notat, Patient, codes, new_msg_id, now

# Re-exported: both ends address a dialog through this module.
from messaging.relay.parties import clinic_party as clinic_party
from messaging.relay.parties import portal_party as portal_party

# A dialog's kind (a thread's or a desk case's) is the register process it belongs to; keyed by
# the stored string too (a Process is a str), as the models keep the kind in a CharField.
KIND_FUNCTION: dict[str, str] = {
    Process.EKONTAKT: codes.DIALOG_INNBYGGER_EKONTAKT,
    Process.EKONSULTASJON: codes.DIALOG_INNBYGGER_EKONSULTASJON,
    Process.RENEWAL: codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
}
FUNCTION_KIND = {function: Process(kind) for kind, function in KIND_FUNCTION.items()}
DIALOG_FUNCTIONS = tuple(KIND_FUNCTION.values())

FEE_EKONSULTASJON = "2ae"

# PROJECT-DEFINED themes (Notat/TemaKodet).
TEMA_EGENANDEL = codes.Code("EGENANDEL", codes.OID_PROJECT_TEMA, "Egenandel for e-konsultasjon")
TEMA_AVSLUTTET = codes.Code("AVSLUTTET", codes.OID_PROJECT_TEMA, "Samtalen er avsluttet")

# KodetOpplysning 8324 (how a renewed prescription is collected). AP is national; the clinic
# pick-up is PROJECT-DEFINED, in its own arc, because the rest of 8324 is not public.
COLLECT_PHARMACY = codes.COLLECT_PHARMACY
COLLECT_CLINIC = codes.Code("LK", codes.OID_PROJECT_COLLECT, "Hentes på legekontoret")
COLLECT_OPTIONS = {c.code: c for c in (COLLECT_PHARMACY, COLLECT_CLINIC)}

CHARGE_INVOICED, CHARGE_PAID, CHARGE_EXEMPT = "invoiced", "paid", "exempt"
CHARGE_STATES = (CHARGE_INVOICED, CHARGE_PAID, CHARGE_EXEMPT)

# --- limits: what the portal lets a citizen send, and what the EPJ accepts -------------------
# One definition for both ends: the portal's forms (messaging/dialogs/forms.py) enforce these
# on input, the EPJ's inbound path on what arrives, so a sender that skips the portal's forms
# gets nothing larger in.
SUBJECT_MAX_CHARS = 200
TEXT_MAX_CHARS = 5000  # e-kontakt and every reply in a thread
RENEWAL_TEXT_MAX_CHARS = 2000
EKONSULTASJON_ANSWER_MAX_CHARS = 3000  # "what is it about" and "what help do you want"
EKONSULTASJON_MEDICINES_MAX_CHARS = 1000
# An e-konsultasjon's text is its answers under their questions: the free-text answers, room for
# the questions and the short answers, and no more.
EKONSULTASJON_TEXT_MAX_CHARS = 2 * EKONSULTASJON_ANSWER_MAX_CHARS + EKONSULTASJON_MEDICINES_MAX_CHARS + 1000


def patient_of(person) -> Patient:
    return Patient(nin=person.nin, given_name=person.given_name, family_name=person.family_name)


def foresporsel(code: codes.Code, *, subject="", text="", coded: codes.Code | None = None) -> Foresporsel:
    return Foresporsel(
        type_code=code.code,
        type_system=code.system,
        type_dn=code.dn,
        subject=subject,
        text=text,
        coded_info=(coded.code, coded.system, coded.dn) if coded else None,
    )


def notat(code: codes.Code, *, text="", answered: Foresporsel | None = None) -> Notat:
    return Notat(theme_code=code.code, theme_system=code.system, theme_dn=code.dn, text=text, answered=answered)


def new_message(*, msg_type, sender, receiver, patient, **fields) -> Message:
    return Message(
        msg_type=msg_type,
        msg_id=new_msg_id(),
        gen_date=now(),
        sender=sender,
        receiver=receiver,
        patient=patient,
        msg_type_dn=codes.function_dn(msg_type),
        **fields,
    )


# --- the co-payment -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeInfo:
    fee_code: str
    amount: Decimal
    state: str  # one of CHARGE_STATES

    @property
    def is_exempt(self) -> bool:
        return self.state == CHARGE_EXEMPT


def _charge_text(info: ChargeInfo) -> str:
    return f"takst={info.fee_code};belop={info.amount:.2f};status={info.state}"


def _charge_parse(text: str) -> ChargeInfo | None:
    fields = dict(part.split("=", 1) for part in (text or "").split(";") if "=" in part)
    try:
        amount = Decimal(fields.get("belop", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return ChargeInfo(fee_code=fields.get("takst", ""), amount=amount, state=fields.get("status", ""))


def charge_notat(info: ChargeInfo) -> Notat:
    return notat(TEMA_EGENANDEL, text=_charge_text(info))


def charge_of(message: Message) -> ChargeInfo | None:
    for item in message.notater:
        if (item.theme_code, item.theme_system) == (TEMA_EGENANDEL.code, TEMA_EGENANDEL.system):
            return _charge_parse(item.text or "")
    return None


# The co-payment the citizen accepted travels with her e-konsultasjon, so the clinic never bills
# more. A question carries no Notat (a Dialogmelding holds questions or notes, never both), so
# it is a second Foresporsel after the citizen's own, with a PROJECT-DEFINED TypeForesp: no
# national code for a co-payment exists in Dialogmelding (docs/message-codes.md).
FORESP_EGENANDEL = codes.Code("EGENANDEL", codes.OID_PROJECT_TYPE_FORESP, "Godtatt egenandel")
CHARGE_ACCEPTED = "accepted"


def _is_accepted_copayment(question: Foresporsel) -> bool:
    return (question.type_code, question.type_system) == (FORESP_EGENANDEL.code, FORESP_EGENANDEL.system)


def accepted_copayment_foresporsel(*, fee_code: str, amount: Decimal) -> Foresporsel:
    info = ChargeInfo(fee_code=fee_code, amount=amount, state=CHARGE_ACCEPTED)
    return foresporsel(FORESP_EGENANDEL, subject=FORESP_EGENANDEL.dn, text=_charge_text(info))


def accepted_copayment_of(message: Message) -> ChargeInfo | None:
    """The co-payment the citizen accepted for this e-konsultasjon, or None when the message names none."""
    for question in message.foresporsler:
        if _is_accepted_copayment(question):
            return _charge_parse(question.text or "")
    return None


# --- reading a dialog message ---------------------------------------------------------------

OUTCOME_BY_THEME = {
    (codes.TEMA_RESEPT_FORNYET.code, codes.TEMA_RESEPT_FORNYET.system): "renewed",
    (codes.TEMA_RESEPT_IKKE_FORNYET.code, codes.TEMA_RESEPT_IKKE_FORNYET.system): "refused",
    (TEMA_AVSLUTTET.code, TEMA_AVSLUTTET.system): "closed",
}


def outcome_of(message: Message) -> str:
    for item in message.notater:
        outcome = OUTCOME_BY_THEME.get((item.theme_code, item.theme_system))
        if outcome:
            return outcome
    return ""


def is_closing(message: Message) -> bool:
    return any((n.theme_code, n.theme_system) == (TEMA_AVSLUTTET.code, TEMA_AVSLUTTET.system) for n in message.notater)


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    collect_code: str
    collect_text: str
    question: Foresporsel | None


def content_of(message: Message) -> Content:
    """Subject and text of a dialog message, whichever part carries them."""
    question = next((q for q in message.foresporsler if not _is_accepted_copayment(q)), None)
    texts = [
        n.text
        for n in message.notater
        if (n.theme_code, n.theme_system) not in ((TEMA_EGENANDEL.code, TEMA_EGENANDEL.system),)
        and n.text
        and n.text != "-"
    ]
    subject = (question.subject if question else "") or ""
    if not subject:
        answered = next((n.answered for n in message.notater if n.answered), None)
        subject = answered.subject if answered else ""
    text = "\n\n".join(filter(None, [question.text if question else "", *texts]))
    coded = question.coded_info if question and question.coded_info else None
    return Content(
        subject=subject,
        text=text,
        collect_code=coded[0] if coded else "",
        collect_text=(coded[2] if coded and len(coded) > 2 else ""),
        question=question,
    )


def limits_exceeded(message: Message) -> str:
    """Why a citizen dialog message is larger than the portal would ever send, or "" when it is not.

    Text per kind (a reply in a thread is never longer than TEXT_MAX_CHARS, an e-konsultasjon's
    first message carries its answers), the number of attachments, each one's size and their total.
    """
    from messaging.wire.attachments import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES

    content = content_of(message)
    kind = FUNCTION_KIND.get(message.msg_type, Process.EKONTAKT)
    # A renewal's first message is shorter (RENEWAL_TEXT_MAX_CHARS), but replies in its thread
    # may use TEXT_MAX_CHARS.
    text_limit = EKONSULTASJON_TEXT_MAX_CHARS if kind == Process.EKONSULTASJON else TEXT_MAX_CHARS
    if len(content.subject) > SUBJECT_MAX_CHARS:
        return f"Emnet har {len(content.subject)} tegn; høyst {SUBJECT_MAX_CHARS} er tillatt."
    if len(content.text) > text_limit:
        return f"Teksten har {len(content.text)} tegn; høyst {text_limit} er tillatt."
    attachments = message.attachments
    if len(attachments) > MAX_FILES:
        return f"Meldingen har {len(attachments)} vedlegg; høyst {MAX_FILES} er tillatt."
    for number, attachment in enumerate(attachments, start=1):
        if len(attachment.data) > MAX_FILE_BYTES:
            return f"Vedlegg {number} er {len(attachment.data)} byte; høyst {MAX_FILE_BYTES} er tillatt."
    total = sum(len(a.data) for a in attachments)
    if total > MAX_TOTAL_BYTES:
        return f"Vedleggene er til sammen {total} byte; høyst {MAX_TOTAL_BYTES} er tillatt."
    return ""
