"""Message function code → the address register's communication process (clinics.Process).

The national broker only routes a function to a party whose CPA includes that process; here
the address register's ServiceProcess rows play the CPA. Functions with no entry (the
communication test, AppRecs) are open to every party.
"""

from clinics.models import Process
from messaging.codec import codes

_FUNCTION_PROCESS: dict[str, Process] = {
    codes.DIALOG_INNBYGGER_EKONTAKT: Process.EKONTAKT,
    codes.DIALOG_INNBYGGER_EKONSULTASJON: Process.EKONSULTASJON,
    codes.DIALOG_INNBYGGER_RESEPTFORNYELSE: Process.RENEWAL,
    codes.DIALOG_INNBYGGER_TIMERESERVASJON: Process.APPOINTMENTS,
    codes.DIALOG_INNBYGGER_TIMEONSKE: Process.APPOINTMENTS,
    codes.DIALOG_INNBYGGER_TIMEONSKEUNGDOM: Process.APPOINTMENTS,
    codes.DIALOG_INNBYGGER_AVTALEUTSENDING: Process.APPOINTMENTS,
    codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING: Process.APPOINTMENTS,
    codes.DIALOG_INNBYGGER_TIMER: Process.APPOINTMENTS,
    codes.NOTIFIKASJON_INNBYGGER_TIME: Process.APPOINTMENTS,
    codes.DIALOG_INNBYGGER_FINN_DOKUMENTER: Process.DOCUMENTS,
    codes.DIALOG_INNBYGGER_HENT_DOKUMENTER: Process.DOCUMENTS,
    codes.DIALOG_INNBYGGER_HL7_DOKUMENTNOTIFIKASJON: Process.DOCUMENTS,
}


def process_for_function(msg_type: str) -> Process | None:
    """The clinics.Process a message function belongs to, or None when it needs no process."""
    return _FUNCTION_PROCESS.get(msg_type)
