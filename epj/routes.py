"""The EPJ's routing table: which handler receives each message and AppRec from the portal.

Read top to bottom; `messaging.relay.routing` says what each entry means and refuses a table
that repeats or hides an entry. Every message function the portal sends is here exactly once per
channel; anything else is refused (T10).
"""

from epj.desk.inbound import citizen_message_handle, citizen_messages_prefetch, desk_apprec_handle
from epj.handlers import communication_test_answer
from epj.records.inbound import (
    copy_apprec_handle,
    copy_request_handle,
    document_fetch_handle,
    documents_find_handle,
    is_copy_request,
)
from epj.services import journal_entries_prefetch
from epj.timebooks.handlers import (
    appointment_apprec_handle,
    cancellation_handle,
    free_slots_handle,
    reservation_handle,
)
from messaging.codec import codes
from messaging.relay.routing import OnAppRec, OnMessage, OnRequest, Prefetch, Route

ROUTES: tuple[Route, ...] = (
    # Reads for a whole delivery batch: the journal entries already filed, then the desk's cases.
    Prefetch(journal_entries_prefetch),
    Prefetch(citizen_messages_prefetch),
    # Asynchronous messages (each answered with an AppRec).
    # A journal copy request travels as an e-kontakt with its own TypeForesp (docs/journal.md).
    OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, copy_request_handle, when=is_copy_request),
    OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, citizen_message_handle),
    OnMessage(codes.DIALOG_INNBYGGER_EKONSULTASJON, citizen_message_handle),
    OnMessage(codes.DIALOG_INNBYGGER_RESEPTFORNYELSE, citizen_message_handle),
    OnMessage(codes.DIALOG_INNBYGGER_TIMERESERVASJON, reservation_handle),  # ReserverAvtale
    OnMessage(codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, cancellation_handle),  # AvbestillAvtale
    # Synchronous requests (answered with a reply on the sync channel).
    OnRequest(codes.DIALOG_INNBYGGER_TIMERESERVASJON, free_slots_handle),  # HentLedigeTimer
    OnRequest(codes.DIALOG_INNBYGGER_FINN_DOKUMENTER, documents_find_handle),
    OnRequest(codes.DIALOG_INNBYGGER_HENT_DOKUMENTER, document_fetch_handle),
    OnRequest(codes.DIALOG_INNBYGGER_TEST, communication_test_answer),
    # AppRecs for what the EPJ sent, every listener of a function in this order: each files the
    # receipt on its own record of the message (epj/receipts.py) and ignores MsgIds it never sent.
    OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, desk_apprec_handle),  # answers, threads the clinic starts
    OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, copy_apprec_handle),  # journal copies
    OnAppRec(codes.DIALOG_INNBYGGER_EKONSULTASJON, desk_apprec_handle),
    OnAppRec(codes.DIALOG_INNBYGGER_RESEPTFORNYELSE, desk_apprec_handle),
    OnAppRec(codes.DIALOG_INNBYGGER_TIMERESERVASJON, appointment_apprec_handle),  # SvarTimeReservasjon
    OnAppRec(codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, appointment_apprec_handle),  # SvarAvbestilling
    OnAppRec(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, appointment_apprec_handle),  # Avtale
)
