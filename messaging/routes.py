"""The portal's routing table: which handler receives each message and AppRec from a clinic.

Read top to bottom; `messaging.relay.routing` says what each entry means and refuses a table
that repeats or hides an entry. Every message function a clinic sends is here exactly once per
channel; anything else is refused (T10).
"""

from appointments.handlers import appointment_message_handle, request_apprec_listen
from journal.inbound import copy_apprec_handle, copy_apprecs_prefetch, copy_received_handle, is_copy
from messaging.codec import codes
from messaging.dialogs.inbound import apprec_handle, apprecs_prefetch, clinic_message_handle
from messaging.relay.routing import OnAppRec, OnMessage, Prefetch, Route

ROUTES: tuple[Route, ...] = (
    # Reads for a whole delivery batch: the dialog messages AppRecs settle, then journal copies.
    Prefetch(apprecs_prefetch),
    Prefetch(copy_apprecs_prefetch),
    # Asynchronous messages (each answered with an AppRec).
    # A journal copy travels as an e-kontakt with its own TypeForesp (docs/journal.md).
    OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, copy_received_handle, when=is_copy),
    OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, clinic_message_handle),
    OnMessage(codes.DIALOG_INNBYGGER_EKONSULTASJON, clinic_message_handle),
    OnMessage(codes.DIALOG_INNBYGGER_RESEPTFORNYELSE, clinic_message_handle),
    OnMessage(codes.DIALOG_INNBYGGER_TIMERESERVASJON, appointment_message_handle),  # SvarAvtaleReservasjon, Avtale
    OnMessage(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, appointment_message_handle),  # Avtale
    OnMessage(codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, appointment_message_handle),  # SvarAvbestilling
    # AppRecs for what the portal sent, every listener of a function in this order.
    OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, apprec_handle),
    OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, copy_apprec_handle),
    OnAppRec(codes.DIALOG_INNBYGGER_EKONSULTASJON, apprec_handle),
    OnAppRec(codes.DIALOG_INNBYGGER_RESEPTFORNYELSE, apprec_handle),
    OnAppRec(codes.DIALOG_INNBYGGER_TIMERESERVASJON, request_apprec_listen),
    OnAppRec(codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, request_apprec_listen),
)
