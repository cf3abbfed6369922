"""Namespaces, OIDs and code values the codec writes and understands (domain brief §2).

National values are exact copies of what the standards, fixtures and code lists say. Values
marked PROJECT-DEFINED have no national counterpart; they live under the project's own OID
(OID_PROJECT, a UUID-derived OID in the 2.25 arc that anyone may mint without registration,
ITU-T X.667), because MsgHead/Dialogmelding CV/@S must match the `oid` pattern `(\\d+\\.?)*\\d+`
and a URN would not validate. docs/message-codes.md lists them all.
"""

from typing import NamedTuple


class Code(NamedTuple):
    code: str
    system: str
    dn: str = ""


# --- namespaces -------------------------------------------------------------------------------
NS_MSGHEAD = "http://www.kith.no/xmlstds/msghead/2006-05-24"
NS_DIALOG_11 = "http://www.kith.no/xmlstds/dialog/2013-01-23"
NS_DIALOG_10 = "http://www.kith.no/xmlstds/dialog/2006-10-11"
NS_APPREC_10 = "http://www.kith.no/xmlstds/apprec/2004-11-21"
NS_APPREC_11 = "http://www.kith.no/xmlstds/apprec/2012-02-15"
NS_BASE64 = "http://www.kith.no/xmlstds/base64container"
NS_KITH = "http://www.kith.no/xmlstds"
NS_FELLES = "http://www.kith.no/xmlstds/felleskomponent1"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"
NS_XHTML = "http://www.w3.org/1999/xhtml"
# Further Documents of a Dialogmelding message (CPA packages, domain brief §12).
NS_XCAL = "urn:ietf:params:xml:ns:icalendar-2.0"  # iCalendar 2.0 in XML, RFC 6321
NS_PASIENTRELASJON = "http://www.kith.no/xmlstds/pasientrelasjon/2014-03-28"

# e-resept M1 (Resept), the documents a renewal answer carries after its Dialogmelding: v2.5 is
# what the CPA names for Dialog_Innbygger_Reseptfornyelse, v2.4 what the Helsenorge example
# sends. Each M1 version pairs with its own Forskrivning namespace (the `fs:` elements).
NS_M1_24 = "http://www.kith.no/xmlstds/eresept/m1/2010-05-01"
NS_M1_25 = "http://www.kith.no/xmlstds/eresept/m1/2013-10-08"
NS_FORSKRIVNING_24 = "http://www.kith.no/xmlstds/eresept/forskrivning/2010-04-01"
NS_FORSKRIVNING_25 = "http://www.kith.no/xmlstds/eresept/forskrivning/2013-10-08"

DIALOG_NAMESPACES = {NS_DIALOG_11: "1.1", NS_DIALOG_10: "1.0"}
M1_NAMESPACES = {NS_M1_24: "2.4", NS_M1_25: "2.5"}
M1_FORSKRIVNING = {"2.4": NS_FORSKRIVNING_24, "2.5": NS_FORSKRIVNING_25}
M1_VERSION = "2.5"
APPREC_NAMESPACES = {NS_APPREC_11: "1.1", NS_APPREC_10: "1.0"}

MIG_MSGHEAD = "v1.2 2006-05-24"
MIG_APPREC = {"1.0": "1.0 2004-11-21", "1.1": "v1.1 2012-02-15"}

# --- national OIDs (2.16.578.1.12.4.1.1.*) ----------------------------------------------------
OID_PERSON_ID = "2.16.578.1.12.4.1.1.8116"  # FNR, DNR, HER, HPR, ...
OID_ORG_ID = "2.16.578.1.12.4.1.1.9051"  # HER, ENH
OID_APPREC_STATUS = "2.16.578.1.12.4.1.1.8258"  # AppRec Status is a CS: written without S
OID_APPREC_ERROR = "2.16.578.1.12.4.1.1.8221"
OID_TYPE_FORESP = "2.16.578.1.12.4.1.1.7601"  # TypeForesp in citizen dialog
OID_TEMA_KODET = "2.16.578.1.12.4.1.1.7602"  # TemaKodet in replies to a citizen
OID_TYPE_FORESP_TEST = "2.16.578.1.12.4.1.1.7603"  # TypeForesp for the communication test
OID_TEMA_HELSEFAGLIG = "2.16.578.1.12.4.1.1.7322"
OID_ROLLE_NOTAT = "2.16.578.1.12.4.1.1.9057"
# The HM example writes S="8324"; we write the full OID and accept both when parsing.
OID_COLLECT_HOW = "2.16.578.1.12.4.1.1.8324"
OID_COLLECT_HOW_SHORT = "8324"
OID_ROLE_TO_PATIENT = "2.16.578.1.12.4.1.1.9034"  # helsepersonells funksjon (6 = Fastlege)
OID_MSG_FUNCTION = "2.16.578.1.12.4.1.1.8279"  # meldingens funksjon (health-to-health dialog)
OID_ATC = "2.16.578.1.12.4.1.1.7180"  # ATC, the drug's substance class in an M1 Resept
# Which message functions may carry e-resept M1 documents after the Dialogmelding (the CPA's
# payload package for the renewal answer); anywhere else an extra XML document is refused.
M1_FUNCTIONS = frozenset({"DIALOG_INNBYGGER_RESEPTFORNYELSE"})

# Person ident types (8116) and organisation ident types (9051).
ID_FNR = "FNR"
ID_DNR = "DNR"
ID_HER = "HER"
ID_HPR = "HPR"
ID_ENH = "ENH"
PERSON_ID_DN = {ID_FNR: "Fødselsnummer", ID_DNR: "D-nummer", ID_HER: "HER-id", ID_HPR: "HPR-nummer"}
ORG_ID_DN = {ID_HER: "HER-id", ID_ENH: "Organisasjonsnummeret i Enhetsregister"}

# --- PROJECT-DEFINED code systems (no national equivalent exists) ------------------------------
OID_PROJECT = "2.25.94125725523107619707457383291403464230"
OID_PROJECT_TYPE_FORESP = OID_PROJECT + ".1"  # alias urn:helsenorge-portal:typeforesp
# ".2" named process actions in Document/ContentType; retired: the action is no longer written.
OID_PROJECT_TEMA = OID_PROJECT + ".3"  # alias urn:helsenorge-portal:tema
OID_PROJECT_RELATION = OID_PROJECT + ".4"  # alias urn:helsenorge-portal:representasjon
OID_PROJECT_DOCUMENT_ID = OID_PROJECT + ".5"  # KodetOpplysning V = a shared document's id
OID_PROJECT_COLLECT = OID_PROJECT + ".6"  # KodetOpplysning: how a renewal is collected, beyond 8324 AP

# Which code systems each coded element may use: a TypeForesp code never names a TemaKodet
# system or the other way round (tests/messaging/test_code_systems.py holds every emitted
# message to this).
TYPE_FORESP_SYSTEMS = frozenset({"2.16.578.1.12.4.1.1.7601", "2.16.578.1.12.4.1.1.7603", OID_PROJECT_TYPE_FORESP})
TEMA_KODET_SYSTEMS = frozenset({"2.16.578.1.12.4.1.1.7602", "2.16.578.1.12.4.1.1.7322", OID_PROJECT_TEMA})

# --- MsgInfo/Type: message functions (domain brief §2.3) --------------------------------------
DIALOG_INNBYGGER_EKONTAKT = "DIALOG_INNBYGGER_EKONTAKT"
DIALOG_INNBYGGER_EKONSULTASJON = "DIALOG_INNBYGGER_EKONSULTASJON"
DIALOG_INNBYGGER_RESEPTFORNYELSE = "DIALOG_INNBYGGER_RESEPTFORNYELSE"
DIALOG_INNBYGGER_TIMERESERVASJON = "DIALOG_INNBYGGER_TIMERESERVASJON"
DIALOG_INNBYGGER_TIMEONSKE = "DIALOG_INNBYGGER_TIMEONSKE"
DIALOG_INNBYGGER_TIMEONSKEUNGDOM = "DIALOG_INNBYGGER_TIMEONSKEUNGDOM"
DIALOG_INNBYGGER_AVTALEUTSENDING = "DIALOG_INNBYGGER_AVTALEUTSENDING"
DIALOG_INNBYGGER_AVTALEAVBESTILLING = "DIALOG_INNBYGGER_AVTALEAVBESTILLING"
DIALOG_INNBYGGER_TIMER = "DIALOG_INNBYGGER_TIMER"
DIALOG_INNBYGGER_TEST = "DIALOG_INNBYGGER_TEST"
DIALOG_INNBYGGER_DIGITALBRUKER = "DIALOG_INNBYGGER_DIGITALBRUKER"
DIALOG_INNBYGGER_KOORDINATOR = "DIALOG_INNBYGGER_KOORDINATOR"
DIALOG_INNBYGGER_OPPGAVE = "DIALOG_INNBYGGER_OPPGAVE"
DIALOG_INNBYGGER_HELSEREGISTER = "DIALOG_INNBYGGER_HELSEREGISTER"
DIALOG_INNBYGGER_TJENESTEOVERSIKT = "DIALOG_INNBYGGER_TJENESTEOVERSIKT"
DIALOG_INNBYGGER_BEHANDLEROVERSIKT = "DIALOG_INNBYGGER_BEHANDLEROVERSIKT"
DIALOG_INNBYGGER_FINN_DOKUMENTER = "DIALOG_INNBYGGER_FINN_DOKUMENTER"
DIALOG_INNBYGGER_HENT_DOKUMENTER = "DIALOG_INNBYGGER_HENT_DOKUMENTER"
DIALOG_INNBYGGER_HL7_DOKUMENTNOTIFIKASJON = "DIALOG_INNBYGGER_HL7_DOKUMENTNOTIFIKASJON"
DIALOG_INNBYGGER_HREG_MELDE_FEIL = "DIALOG_INNBYGGER_HREG_MELDE_FEIL"
NOTIFIKASJON_INNBYGGER_TIME = "NOTIFIKASJON_INNBYGGER_TIME"
DIALOG_FORESPORSEL = "DIALOG_FORESPORSEL"
DIALOG_SVAR = "DIALOG_SVAR"
DIALOG_NOTAT = "DIALOG_NOTAT"
DIALOG_HELSEFAGLIG = "DIALOG_HELSEFAGLIG"
APPREC = "APPREC"

# Display names: the first four are from the Helsenorge examples/wiki; the rest follow their pattern.
FUNCTION_DN = {
    DIALOG_INNBYGGER_EKONTAKT: "Dialog med innbygger - eKontakt",
    DIALOG_INNBYGGER_RESEPTFORNYELSE: "Dialog med innbygger - reseptfornyelse",
    DIALOG_INNBYGGER_TEST: "Dialog med innbygger - test",
    DIALOG_INNBYGGER_AVTALEUTSENDING: "Dialog med innbygger - avtaleutsending",
    DIALOG_INNBYGGER_EKONSULTASJON: "Dialog med innbygger - eKonsultasjon",
    DIALOG_INNBYGGER_TIMERESERVASJON: "Dialog med innbygger - timereservasjon",
    DIALOG_INNBYGGER_AVTALEAVBESTILLING: "Dialog med innbygger - avtaleavbestilling",
    DIALOG_INNBYGGER_TIMEONSKE: "Dialog med innbygger - timeønske",
    DIALOG_INNBYGGER_TIMEONSKEUNGDOM: "Dialog med innbygger - timeønske ungdom",
    DIALOG_INNBYGGER_TIMER: "Dialog med innbygger - timedialog",
    DIALOG_HELSEFAGLIG: "Helsefaglig dialog",
    DIALOG_FORESPORSEL: "Forespørsel",
    DIALOG_SVAR: "Svar",
    DIALOG_NOTAT: "Notat",
    APPREC: "Applikasjonskvittering",
}

# Every MsgInfo/Type the codec accepts; anything else is T10 (unsupported message format).
MSGHEAD_FUNCTIONS = frozenset(
    {
        DIALOG_INNBYGGER_EKONTAKT,
        DIALOG_INNBYGGER_EKONSULTASJON,
        DIALOG_INNBYGGER_RESEPTFORNYELSE,
        DIALOG_INNBYGGER_TIMERESERVASJON,
        DIALOG_INNBYGGER_TIMEONSKE,
        DIALOG_INNBYGGER_TIMEONSKEUNGDOM,
        DIALOG_INNBYGGER_AVTALEUTSENDING,
        DIALOG_INNBYGGER_AVTALEAVBESTILLING,
        DIALOG_INNBYGGER_TIMER,
        DIALOG_INNBYGGER_TEST,
        DIALOG_INNBYGGER_DIGITALBRUKER,
        DIALOG_INNBYGGER_KOORDINATOR,
        DIALOG_INNBYGGER_OPPGAVE,
        DIALOG_INNBYGGER_HELSEREGISTER,
        DIALOG_INNBYGGER_TJENESTEOVERSIKT,
        DIALOG_INNBYGGER_BEHANDLEROVERSIKT,
        DIALOG_INNBYGGER_FINN_DOKUMENTER,
        DIALOG_INNBYGGER_HENT_DOKUMENTER,
        DIALOG_INNBYGGER_HL7_DOKUMENTNOTIFIKASJON,
        DIALOG_INNBYGGER_HREG_MELDE_FEIL,
        NOTIFIKASJON_INNBYGGER_TIME,
        DIALOG_FORESPORSEL,
        DIALOG_SVAR,
        DIALOG_NOTAT,
        DIALOG_HELSEFAGLIG,
    }
)

# The functions the project itself emits (a subset of the above).
EMITTED_FUNCTIONS = frozenset(
    {
        DIALOG_INNBYGGER_EKONTAKT,
        DIALOG_INNBYGGER_EKONSULTASJON,
        DIALOG_INNBYGGER_RESEPTFORNYELSE,
        DIALOG_INNBYGGER_TIMERESERVASJON,
        DIALOG_INNBYGGER_AVTALEUTSENDING,
        DIALOG_INNBYGGER_AVTALEAVBESTILLING,
        DIALOG_INNBYGGER_TEST,
    }
)

# Citizen dialogs are always about a patient; a message of these kinds without one is E30.
PATIENT_REQUIRED = frozenset(
    {
        DIALOG_INNBYGGER_EKONTAKT,
        DIALOG_INNBYGGER_EKONSULTASJON,
        DIALOG_INNBYGGER_RESEPTFORNYELSE,
        DIALOG_INNBYGGER_TIMERESERVASJON,
        DIALOG_INNBYGGER_AVTALEUTSENDING,
        DIALOG_INNBYGGER_AVTALEAVBESTILLING,
        DIALOG_INNBYGGER_TIMEONSKE,
        DIALOG_INNBYGGER_TIMEONSKEUNGDOM,
        DIALOG_INNBYGGER_TIMER,
    }
)

# --- Dialogmelding code values ----------------------------------------------------------------
# TypeForesp 7601 (national; seen in HM examples/tests)
FORESP_DIALOG = Code("DI", OID_TYPE_FORESP, "Dialog med innbygger")
FORESP_RESEPTFORNYING = Code("RF", OID_TYPE_FORESP, "Reseptfornying")
FORESP_BESTILLE_ATTEST = Code("BA", OID_TYPE_FORESP, "Bestille attest")
# TypeForesp 7603 (national)
FORESP_KOMMUNIKASJONSTEST = Code("KT", OID_TYPE_FORESP_TEST, "Kommunikasjonstest")
# TemaKodet 7602 (national)
TEMA_RESEPT_FORNYET = Code("14", OID_TEMA_KODET, "Resept er fornyet")
# PROJECT-DEFINED: the theme of the answer to a communication test. 7603 is a TypeForesp code
# system and cannot name a TemaKodet; no national TemaKodet for this answer is published.
TEMA_KOMMUNIKASJONSTEST = Code("KT", OID_PROJECT_TEMA, "Kommunikasjonstest")
# KodetOpplysning 8324: how a renewed prescription is collected (national)
COLLECT_PHARMACY = Code("AP", OID_COLLECT_HOW, "Hentes på apotek")
# RolleNotat 9057 (national)
ROLLE_FORFATTER = Code("1", OID_ROLLE_NOTAT, "Forfatter")
# RoleToPatient 9034 (national)
ROLE_FASTLEGE = Code("6", OID_ROLE_TO_PATIENT, "Fastlege")

# PROJECT-DEFINED: journal copy. No national message function or TypeForesp exists (domain
# brief §2.5, §10). A request is a DIALOG_INNBYGGER_EKONTAKT Foresporsel with this TypeForesp,
# so a real EPJ still files it as an ordinary e-kontakt; the copy comes back as an e-kontakt
# Notat with TEMA_JOURNALKOPI and the record as an application/pdf Base64Container attachment.
FORESP_JOURNALKOPI = Code("JK", OID_PROJECT_TYPE_FORESP, "Journalkopi")
TEMA_JOURNALKOPI = Code("JK", OID_PROJECT_TEMA, "Journalkopi")
# PROJECT-DEFINED: reply themes where 7602 has no code we know of.
TEMA_SVAR = Code("SV", OID_PROJECT_TEMA, "Svar på henvendelse")
TEMA_MELDING = Code("ME", OID_PROJECT_TEMA, "Melding fra behandler")
TEMA_RESEPT_IKKE_FORNYET = Code("RI", OID_PROJECT_TEMA, "Resept er ikke fornyet")
TEMA_TIMEADMINISTRASJON = Code("TA", OID_PROJECT_TEMA, "Timeadministrasjon")
FORESP_TIMEADMINISTRASJON = Code("TA", OID_PROJECT_TYPE_FORESP, "Timeadministrasjon")
# PROJECT-DEFINED: hospital document sharing (docs/journal.md). The national
# DIALOG_INNBYGGER_FINN_DOKUMENTER / HENT_DOKUMENTER functions carry a Foresporsel with these
# TypeForesp codes (HENT names the document in KodetOpplysning, system OID_PROJECT_DOCUMENT_ID);
# the reply is a Notat TEMA_DOKUMENTLISTE / TEMA_DOKUMENT plus an application/json attachment.
FORESP_FINN_DOKUMENTER = Code("FD", OID_PROJECT_TYPE_FORESP, "Finn dokumenter")
FORESP_HENT_DOKUMENT = Code("HD", OID_PROJECT_TYPE_FORESP, "Hent dokument")
TEMA_DOKUMENTLISTE = Code("DL", OID_PROJECT_TEMA, "Dokumentliste")
TEMA_DOKUMENT = Code("DO", OID_PROJECT_TEMA, "Dokument")

# PROJECT-DEFINED: representation ("on behalf of"). Helsenorge uses the Pasientrelasjon part,
# whose schema is not public; we write a RollerRelatertNotat with RoleToPatient from
# OID_PROJECT_RELATION and the representative as Person (the author, RolleNotat 9057 "1"
# Forfatter, is its own RollerRelatertNotat).
RELATION_PARENT = "parent"
RELATION_PROXY = "proxy"
RELATION_CODES = {
    RELATION_PARENT: Code("FORELDER", OID_PROJECT_RELATION, "Forelder med foreldreansvar"),
    RELATION_PROXY: Code("FULLMEKTIG", OID_PROJECT_RELATION, "Fullmektig"),
}
RELATION_BY_CODE = {c.code: relation for relation, c in RELATION_CODES.items()}

# --- RefDoc/MsgType ---------------------------------------------------------------------------
REFDOC_XML = Code("XML", "", "XML-instans")
REFDOC_ATTACHMENT = Code("A", "", "Vedlegg")

MIME_XCAL = "application/calendar+xml"  # RFC 6321 §7
MIME_XML = "application/xml"
MIME_PDF = "application/pdf"
MIME_JSON = "application/json"

# --- AppRec status (8258) and errors (8221) ---------------------------------------------------
STATUS_OK = 1
STATUS_REJECTED = 2
STATUS_OK_WITH_ERRORS = 3
STATUS_DN = {STATUS_OK: "OK", STATUS_REJECTED: "Avvist", STATUS_OK_WITH_ERRORS: "OK, feil i delmelding"}

ERROR_TEXTS = {
    "E10": "Ugyldig meldingsidentifikator",
    "E20": "Lege finnes ikke",
    "E21": "Mottaker finnes ikke",
    "E30": "Pasientens fødselsnummer mangler",
    "E31": "Pasientens fødselsnummer er feil",
    "E32": "Pasientens navn mangler",
    "E35": "Pasienten finnes ikke i mottakersystemet",
    "E36": "Pasientopplysninger er utilstrekkelige",
    "E53": "Pasientens fødselsnummer eller D-nummer finnes ikke registrert i Folkeregisteret",
    "E54": "Pasientens fødselsnummer er ikke registrert i mottagersystemet",
    "S01": "Feil på signatur",
    "S02": "Ugyldig sertifikat",
    "S03": "Tilbaketrukket sertifikat",
    "T01": "Ikke XML / ikke 'well formed' / uleselig",
    "T02": "XML validerer ikke",
    "T10": "Støtter ikke meldingsformatet",
    "T99": "Annen feil på format",
    "X99": "Annen feil",
}


def error_text(code: str) -> str:
    return ERROR_TEXTS.get(code, ERROR_TEXTS["X99"])


def function_dn(msg_type: str) -> str:
    return FUNCTION_DN.get(msg_type, "")
