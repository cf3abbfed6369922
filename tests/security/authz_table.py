"""The authorisation matrix: every URL pattern × every role, and what each role must get.

`world_build` creates one object of every kind owned by citizen A (Nora) or organisation A
(Bakkehuset) through the apps' own services, so every URL kwarg is a real id. `EXPECTED` is the
explicit table the matrix test checks; a URL pattern without a row fails the test.

Outcomes: ok (2xx), login (redirect to a login page), mfa (redirect to TOTP set-up),
redirect (any other redirect), 404, 403, 405, 503 (a live source that is down answers politely).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.representation import RELATION_SELF, Subject
from appointments.models import VideoService
from appointments.services import calendar_feed_get, clinic_video_service_set, drop_in_room_set
from clinics.models import HealthContact, Process, ServiceKind
from epj.desk.models import Case, DeskAttachment, Frikort, Medication
from epj.desk.services import absence_set, case_reply
from epj.models import PatientRelationship
from epj.records.models import CopyRequest, HospitalDocument, RecordNote
from epj.records.services import copy_push
from epj.staff import employments
from helsenorge.routers import EPJ_DB
from journal.models import JournalDocument
from journal.services import journal_copy_request
from messaging.dialogs import services as dialogs
from messaging.dialogs.models import DialogAttachment, Kind, PowerOfAttorney, ServiceArea
from messaging.models import Notice, NoticeEvent
from messaging.wire.attachments import CheckedFile
from national.models import TariffRate
from national.selectors import resident_for
from ops.population import seed_epj_patients
from tests import factories as f
from tests.conftest import TOTP_SECRET
from tests.dialogs.conftest import PDF
from tests.timebooks.helpers import confirmed_appointment, deliver_all, in_transaction, make_slot, make_timebooks
from tests.tools.conftest import approve_all, submit_tool
from tools.services import tool_send

ROLES = [
    "anonymous",
    "citizen_a",
    "citizen_b",
    "parent",
    "proxy",
    "reception",
    "clinician",
    "clinic_admin",
    "operator_no_totp",
    "other_org_staff",
    "reviewer",
    "operator",
]
MISSING = 987654321  # an id no row has


def url_patterns(patterns=None, prefix="", namespace=""):
    """(key, route, pattern) for every pattern in the URLconf, recursively (the admin site included)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = f"{namespace}:{pattern.name}".strip(":") if pattern.name else f"{namespace}:<{route}>".strip(":")
            yield key, route, pattern


@dataclass
class World:
    users: dict
    kwargs: dict = field(default_factory=dict)  # url key -> real kwargs
    acting_for: dict = field(default_factory=dict)  # role -> Person id the session acts for


def world_build(cast) -> World:
    """One object of every kind for citizen A / organisation A, made by the apps' services."""
    nora = cast.nora.person
    proxy = f.CitizenFactory(email="fullmektig@test.local", person__given_name="Per", person__age=50)
    reviewer = f.UserFactory(email="vurderer@test.local", is_catalogue_reviewer=True, totp_secret=TOTP_SECRET)
    operator = f.UserFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    # Only operators log in with a password, and must set up TOTP before anything else; clinic
    # staff and reviewers log in through HelseID and have no authenticator pages.
    no_totp = f.UserFactory(email="utentotp@test.local", is_staff=True, is_superuser=True)
    users = {
        "anonymous": None,
        "citizen_a": cast.nora,
        "citizen_b": cast.ulf,
        "parent": cast.ole,
        "proxy": proxy,
        "reception": cast.reception,
        "clinician": cast.kari,
        "clinic_admin": cast.clinic_admin,
        "operator_no_totp": no_totp,
        "other_org_staff": cast.ola,
        "reviewer": reviewer,
        "operator": operator,
    }
    world = World(users=users, acting_for={"parent": cast.emma.pk, "proxy": nora.pk})

    dialogs.power_of_attorney_grant(grantor=nora, holder_nin=proxy.person.nin, areas=list(ServiceArea.values))
    poa = PowerOfAttorney.objects.filter(grantor=nora).first()

    # A thread with an attachment, delivered to the clinic's desk as a case with a charge.
    seed_epj_patients()
    TariffRate.objects.get_or_create(
        code="2ae", valid_from=datetime.date(2024, 7, 1), defaults={"copayment": Decimal("170.00")}
    )
    subject = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    thread = in_transaction(
        dialogs.dialog_send,
        subject=subject,
        service=cast.gp_service,
        kind=Kind.EKONSULTASJON,
        title="Vondt i halsen",
        text="",
        accepted_amount=Decimal("170.00"),
        answers=[{"question": "Hva gjelder det?", "answer": "Sår hals"}],
        files=[CheckedFile("resept.pdf", "application/pdf", PDF)],
    )
    in_transaction(journal_copy_request, service=cast.gp_service, patient=nora, written_by=nora)
    deliver_all()
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    in_transaction(case_reply, case=case, user=cast.kari, text="Drikk mye vann.", using=EPJ_DB)  # records the charge
    deliver_all()
    case.refresh_from_db()
    notice = absence_set(
        service=cast.gp_service,
        user=cast.kari,
        text="Ferie",
        substitute="Lege Vikar",
        starts=timezone.localdate(),
        ends=timezone.localdate() + datetime.timedelta(days=3),
    )

    appointment = confirmed_appointment(
        cast, hours_ahead=72, cancel_deadline=timezone.now() + datetime.timedelta(hours=48)
    )
    feed = calendar_feed_get(person=nora)
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater)

    document = JournalDocument.objects.create(
        person=nora,
        organisation=cast.gp_org,
        service=cast.gp_service,
        source="pushed",
        title="Journalkopi",
        filename="kopi.pdf",
        mime_type="application/pdf",
        size=9,
        data=b"%PDF-1.4 x",
        msg_id="msg-authz-copy",
    )
    hospital_org = f.OrganisationFactory(name="Innlandet sykehus", is_hospital=True)
    hospital = f.ServiceFactory(
        organisation=hospital_org,
        kind=ServiceKind.SPECIALIST,
        processes={Process.DOCUMENTS: None, Process.JOURNAL_COPY: None},
    )
    f.contact(nora, hospital, active=False)
    hospital_doc = HospitalDocument.objects.create(
        organisation=hospital_org,
        patient_nin=nora.nin,
        patient_name=nora.full_name,
        kind=HospitalDocument.Kind.DISCHARGE,
        title="Epikrise",
        department="Medisin",
        author_name="Lege",
        text="x",
    )

    published = approve_all(submit_tool(cast.nora, name="Pusteappen"), reviewer)
    pending = submit_tool(cast.nora, name="Ventende verktøy")
    dispatch = tool_send(
        tool=published,
        organisation=cast.gp_org,
        sender=cast.kari,
        patient_nin=nora.nin,
        note="Prøv denne.",
        suitability_confirmed=True,
    )

    # Rows for the admin's object pages (operator data the citizen flows above do not create).
    Group.objects.create(name="Drift")
    EmailAddress.objects.create(user=cast.nora, email=cast.nora.email, verified=True, primary=True)
    video = VideoService.objects.create(name="Video AS", url_prefix="https://video.example.no/", approved=True)
    clinic_video_service_set(organisation=cast.gp_org, video_service=video)
    drop_in_room_set(
        service=cast.gp_service, title="Drop-in", room_url="https://video.example.no/rom", active=True, openings=[]
    )
    Frikort.objects.create(
        patient_nin=cast.ulf.person.nin, valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2026, 12, 31)
    )
    Medication.objects.create(organisation=cast.gp_org, patient_nin=nora.nin, name="Levaxin", dosage="1 om morgenen")
    notice_event = NoticeEvent.objects.create(person=nora, path="/meldinger/")
    Notice.objects.create(
        person=nora,
        event=notice_event,
        channel="sms",
        recipient="+47 40000001",
        path="/meldinger/",
        next_attempt_at=timezone.now(),
    )
    RecordNote.objects.create(
        organisation=cast.gp_org,
        patient_nin=nora.nin,
        patient_name=nora.full_name,
        author_name="Kari Lege",
        title="Konsultasjon",
        text="Hodepine.",
    )
    in_transaction(
        copy_push,
        membership=employments(user=cast.kari).get(),
        service=cast.gp_service,
        patient_nin=cast.jonas.person.nin,
        using=EPJ_DB,
    )
    deliver_all()

    contact = HealthContact.objects.get(person=nora, service=cast.gp_service)
    org = cast.gp_org.pk
    world.kwargs = {
        "openid_connect_login": {"provider_id": "idporten"},
        "openid_connect_callback": {"provider_id": "idporten"},
        "clinics:contact_detail": {"contact_id": contact.pk},
        "clinics:clinic_services": {"organisation_id": org},
        "tools:tool_detail": {"tool_id": published.pk},
        "tools:tool_add": {"tool_id": published.pk},
        "tools:submission_detail": {"tool_id": pending.pk},
        "tools:submission_edit": {"tool_id": pending.pk},
        "tools:review_detail": {"tool_id": pending.pk},
        "tools:review_assess": {"tool_id": pending.pk},
        "tools:review_withdraw": {"tool_id": published.pk},
        "tools:launch": {"dispatch_id": dispatch.pk},
        "tools:send": {"organisation_id": org},
        "tools:sent": {"organisation_id": org},
        "dialogs:compose": {"service_id": cast.gp_service.pk, "kind": Kind.EKONTAKT},
        "dialogs:thread": {"thread_id": thread.pk},
        "dialogs:attachment": {"attachment_id": DialogAttachment.objects.get(message__thread=thread).pk},
        "dialogs:proxy_revoke": {"poa_id": poa.pk},
        "notice_open": {"event_id": notice_event.pk},
        "desk:cases": {"organisation_id": org},
        "desk:patients": {"organisation_id": org},
        "desk:patient_list_add": {"organisation_id": org},
        "desk:patient_list_end": {
            "relationship_id": PatientRelationship.objects.get(patient__nin=nora.nin, patient__organisation_id=org).pk
        },
        "desk:absence": {"organisation_id": org},
        "desk:thread_start": {"organisation_id": org},
        "desk:case": {"case_id": case.pk},
        "desk:claim": {"case_id": case.pk},
        "desk:assign": {"case_id": case.pk},
        "desk:close": {"case_id": case.pk},
        "desk:charge_paid": {"case_id": case.pk},
        "desk:attachment": {"attachment_id": DeskAttachment.objects.get(message__case=case).pk},
        "desk:absence_cancel": {"notice_id": notice.pk},
        "journal:document_download": {"document_id": document.pk},
        "journal:shared_document": {"service_id": hospital.pk, "document_id": str(hospital_doc.document_id)},
        "records:copy_requests": {"organisation_id": org},
        "records:copy_request_detail": {"organisation_id": org, "request_id": CopyRequest.objects.get().pk},
        "records:copy_push": {"organisation_id": org},
        "records:hospital_documents": {"organisation_id": org},
        "records:patients": {"organisation_id": org},
        "records:patient_documents": {"organisation_id": org, "person_id": resident_for(nin=nora.nin).pk},
        "records:patient_document": {
            "organisation_id": org,
            "person_id": resident_for(nin=nora.nin).pk,
            "document_id": hospital_doc.document_id,
        },
        "appointments:detail": {"appointment_id": appointment.pk},
        "appointments:ics": {"appointment_id": appointment.pk},
        "appointments:cancel": {"appointment_id": appointment.pk},
        "appointments:book": {"contact_id": contact.pk},
        "appointments:book_confirm": {"contact_id": contact.pk},
        "appointments:feed": {"token": feed.token},
        "appointments:clinic_video": {"organisation_id": org},
        "epj_timebooks:list": {"organisation_id": org},
        "epj_timebooks:detail": {"timebook_id": treater.pk},
        "epj_timebooks:slot": {"slot_id": slot.pk},
        "epj_timebooks:calendar_day": {"organisation_id": org},
        "epj_timebooks:calendar_week": {"timebook_id": treater.pk},
        "account_confirm_email": {"key": "ugyldig-nokkel"},
        "account_reset_password_from_key": {"uidb36": "1", "key": "ugyldig-nokkel"},
    }
    return world


def admin_kwargs(route: str, world: World) -> dict:
    """Real ids for the admin's object URLs: the first row of the model the route belongs to."""
    parts = route.split("/")
    if "<path:content_type_id>" in route:  # view_on_site
        person = world.users["citizen_a"].person
        return {"content_type_id": str(ContentType.objects.get_for_model(person).pk), "object_id": str(person.pk)}
    if "(?P<app_label>" in route:
        return {"app_label": "clinics"}
    if "(?P<url>" in route:
        return {"url": "finnes-ikke/"}
    if "<path:object_id>" in route or "<id>" in route:
        model = apps.get_model(parts[1], parts[2])
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"the world has no {model._meta.label} row for {route}"
        return {"object_id" if "<path:object_id>" in route else "id": str(first.pk)}
    return {}


def row(default: str, **by_role: str) -> dict:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, unknown
    return {role: by_role.get(role, default) for role in ROLES}


# GET outcomes for the portal's own pages and allauth's. Reading guide: citizen A owns every object;
# the proxy acts for A with a power of attorney in every area, so sees what A sees; the parent acts for
# A's child, so A's objects are hidden from them (404) as from everyone else. Staff without TOTP are
# sent to set it up ("mfa") on every page outside /konto/. 503: a live look-up at the clinic is down
# (no EPJ sync worker runs in this test) and the page says so. 405: the URL only takes POST (see
# POST_ALLOWED). The operator (superuser) gets no health data through the portal's pages.
PORTAL = {
    "home": row("ok", operator_no_totp="mfa"),
    "health": row("ok", operator_no_totp="mfa"),
    "set_language": row("redirect"),
    "account_login": row("redirect", anonymous="ok"),
    "account_logout": row("ok", anonymous="redirect"),
    "account_inactive": row("ok"),
    "account_reauthenticate": row("ok", anonymous="login"),
    "account_change_password": row("404", anonymous="login", operator="ok", operator_no_totp="ok"),
    # Logging in through ID-porten or HelseID starts with a POST (the button); a GET is a confirmation page.
    "openid_connect_login": row("ok"),
    # Without the state this browser stashed, the callback is refused (403) before any token request.
    "openid_connect_callback": row("403"),
    # The authenticator pages are the operators' (the only password logins): everyone else's second
    # factor is ID-porten's or HelseID's, so they have none to set up (404).
    "mfa_index": row("404", anonymous="login", operator="ok", operator_no_totp="ok"),
    "mfa_authenticate": row("404", anonymous="login", operator="redirect", operator_no_totp="redirect"),
    "mfa_reauthenticate": row("404", anonymous="login", operator="ok", operator_no_totp="redirect"),
    "mfa_activate_totp": row("404", anonymous="login", operator="redirect", operator_no_totp="redirect"),
    "mfa_deactivate_totp": row("404", anonymous="login", operator="redirect"),
    "mfa_view_recovery_codes": row("404", anonymous="login"),
    "mfa_generate_recovery_codes": row("404", anonymous="login", operator="redirect", operator_no_totp="redirect"),
    "mfa_download_recovery_codes": row("404", anonymous="login"),
    # The local ID-porten/HelseID stand-in (on in the tests, never in production): public endpoints
    # (an operator without TOTP is sent to set it up first, as everywhere outside /konto/). Its
    # end-session page asks a signed-in visitor to confirm; the token endpoint authenticates clients.
    "oauth2_provider:oidc-connect-discovery-info": row("ok", operator_no_totp="mfa"),
    "oauth2_provider:jwks-info": row("ok", operator_no_totp="mfa"),
    "oauth2_provider:authorize": row("400", operator_no_totp="mfa"),
    "oauth2_provider:token": row("405", operator_no_totp="mfa"),
    "oauth2_provider:pushed-authorization-request": row("405", operator_no_totp="mfa"),
    "oauth2_provider:user-info": row("401", operator_no_totp="mfa"),
    "oauth2_provider:rp-initiated-logout": row("ok", anonymous="redirect", operator_no_totp="mfa"),
    "clinics:contact_list": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    # The proxy acts for citizen A: her contacts are where the proxy starts what the power allows.
    "clinics:contact_detail": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "clinics:clinic_services": row("404", anonymous="login", clinic_admin="ok", operator_no_totp="mfa"),
    "notification_preferences": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "notices": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    # Only the citizen the notice went to; following it marks it read and goes on to its link.
    "notice_open": row("404", anonymous="login", citizen_a="redirect", operator_no_totp="mfa"),
    "tools:catalogue": row("ok", operator_no_totp="mfa"),
    "tools:tool_detail": row("ok", operator_no_totp="mfa"),
    "tools:tool_add": row("405", anonymous="login", operator_no_totp="mfa"),
    "tools:submit": row("ok", anonymous="login", operator_no_totp="mfa"),
    "tools:submissions": row("ok", anonymous="login", operator_no_totp="mfa"),
    "tools:submission_detail": row("404", anonymous="login", citizen_a="ok", operator_no_totp="mfa"),
    "tools:submission_edit": row("404", anonymous="login", citizen_a="redirect", operator_no_totp="mfa"),
    "tools:review_queue": row("404", anonymous="login", operator_no_totp="mfa", reviewer="ok"),
    "tools:review_detail": row("404", anonymous="login", operator_no_totp="mfa", reviewer="ok"),
    "tools:review_assess": row("405", anonymous="login", operator_no_totp="mfa"),
    "tools:review_withdraw": row("405", anonymous="login", operator_no_totp="mfa"),
    "tools:mine": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "tools:launch": row("404", anonymous="login", citizen_a="redirect", operator_no_totp="mfa"),
    "tools:send": row("404", anonymous="login", clinician="ok", operator_no_totp="mfa"),
    "tools:sent": row("404", anonymous="login", clinician="ok", operator_no_totp="mfa"),
    "dialogs:inbox": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "dialogs:compose": row("404", anonymous="login", citizen_a="ok", parent="ok", proxy="ok", operator_no_totp="mfa"),
    "dialogs:thread": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "dialogs:attachment": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "dialogs:acting_for": row("405", anonymous="login", operator_no_totp="mfa"),
    "dialogs:proxies": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    # GET is the confirmation page, POST withdraws (either side may end it, acting for themselves).
    "dialogs:proxy_revoke": row("404", anonymous="login", citizen_a="ok", operator_no_totp="mfa"),
    "desk:home": row(
        "404",
        anonymous="login",
        reception="redirect",
        clinician="redirect",
        clinic_admin="redirect",
        operator_no_totp="mfa",
        other_org_staff="redirect",
    ),
    "desk:cases": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "desk:patients": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "desk:patient_list_add": row("405", anonymous="login", operator_no_totp="mfa"),
    "desk:patient_list_end": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "desk:absence": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "desk:thread_start": row("404", anonymous="login", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"),
    "desk:case": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "desk:claim": row("405", anonymous="login", operator_no_totp="mfa"),
    "desk:assign": row("405", anonymous="login", operator_no_totp="mfa"),
    "desk:close": row("405", anonymous="login", operator_no_totp="mfa"),
    "desk:charge_paid": row("405", anonymous="login", operator_no_totp="mfa"),
    "desk:attachment": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "desk:absence_cancel": row("405", anonymous="login", operator_no_totp="mfa"),
    "journal:documents": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "journal:document_download": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "journal:copy_request_new": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "journal:shared_documents": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "journal:shared_document": row("404", anonymous="login", citizen_a="503", proxy="503", operator_no_totp="mfa"),
    "journal:access_log": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "records:copy_requests": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "records:copy_request_detail": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "records:copy_push": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "records:hospital_documents": row("404", anonymous="login", operator_no_totp="mfa"),
    "records:patients": row("404", anonymous="login", clinician="ok", operator_no_totp="mfa"),
    "records:patient_documents": row("404", anonymous="login", clinician="ok", operator_no_totp="mfa"),
    "records:patient_document": row("404", anonymous="login", clinician="ok", operator_no_totp="mfa"),
    "appointments:list": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "appointments:detail": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "appointments:ics": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "appointments:cancel": row("404", anonymous="login", citizen_a="ok", proxy="ok", operator_no_totp="mfa"),
    "appointments:book": row("404", anonymous="login", citizen_a="503", proxy="503", operator_no_totp="mfa"),
    "appointments:book_confirm": row(
        "404", anonymous="login", citizen_a="redirect", proxy="redirect", operator_no_totp="mfa"
    ),
    "appointments:calendar": row(
        "404", anonymous="login", citizen_a="ok", citizen_b="ok", parent="ok", proxy="ok", operator_no_totp="mfa"
    ),
    "appointments:feed": row("ok", operator_no_totp="mfa"),
    "appointments:clinic_video": row("404", anonymous="login", clinic_admin="ok", operator_no_totp="mfa"),
    "epj_timebooks:list": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "epj_timebooks:calendar_day": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "epj_timebooks:calendar_week": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "epj_timebooks:detail": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
    "epj_timebooks:slot": row(
        "404", anonymous="login", reception="ok", clinician="ok", clinic_admin="ok", operator_no_totp="mfa"
    ),
}

# The Django admin (/drift/): only the operator (a superuser with TOTP) gets in; everyone else is
# sent to log in (the admin login is allauth's, behind login_required), staff without TOTP to set it up.
# Rows holding a citizen's health content are absent (record notes, hospital documents, medications,
# tools sent to patients) or "ro" with metadata only (docs/security.md, "Operators and health data").
ADMIN_MODELS = {  # model admin prefix -> "rw"; "ro" where the admin forbids add, change and delete;
    # "nodelete" where it forbids only delete (a register entry is withdrawn, a login deactivated)
    "auth_group": "rw",
    "account_emailaddress": "rw",
    "mfa_authenticator": "rw",
    "accounts_person": "rw",
    "accounts_parentalresponsibility": "rw",
    "accounts_user": "nodelete",
    "clinics_organisation": "nodelete",
    "clinics_service": "nodelete",
    "clinics_staffmembership": "rw",
    "clinics_healthcontact": "rw",
    "national_communicationparty": "rw",
    "appointments_videoservice": "rw",
    "appointments_clinicvideoservice": "rw",
    "appointments_dropinroom": "rw",
    "tools_tool": "ro",
    "dialogs_powerofattorney": "rw",
    "epj_staffmember": "nodelete",
    "epj_desk_frikort": "rw",
    "epj_desk_absencenotice": "rw",
    "epj_desk_case": "ro",
    "epj_desk_charge": "ro",
    "national_accesslogentry": "ro",
    "national_staffauditentry": "ro",
    "journal_journalcopyrequest": "ro",
    "journal_journaldocument": "ro",
    "epj_records_copyrequest": "ro",
    "epj_records_copydispatch": "ro",
    "messaging_notice": "ro",
}


def admin_row(operator: str) -> dict:
    return row("login", operator_no_totp="mfa", operator=operator)


def admin_rows() -> dict:
    rows = {
        "admin:index": admin_row("ok"),
        # Logged-in people without admin rights see the admin login page saying they lack access.
        "admin:login": row("ok", anonymous="login", operator_no_totp="mfa", operator="redirect"),
        "admin:logout": row("redirect", operator_no_totp="mfa", operator="405"),  # logging out takes a POST
        "admin:password_change": admin_row("ok"),
        "admin:password_change_done": admin_row("ok"),
        "admin:autocomplete": admin_row("403"),  # without a field to complete
        "admin:jsi18n": admin_row("ok"),
        "admin:view_on_site": admin_row("404"),  # a person has no public page
        "admin:app_list": admin_row("ok"),
        "admin:<drift/(?P<url>.*)$>": admin_row("404"),
        "admin:auth_user_password_change": admin_row("ok"),
        # The break-glass page: the form on GET; a POST needs a reason (POST_DATA's is too short).
        "break_glass": admin_row("ok"),
    }
    for prefix, mode in ADMIN_MODELS.items():
        app, model = (
            prefix.split("_", 1)
            if not prefix.startswith(("epj_desk", "epj_records"))
            else ("_".join(prefix.split("_")[:2]), prefix.split("_", 2)[2])
        )
        writable = "ok" if mode in ("rw", "nodelete") else "403"
        rows.update(
            {
                f"admin:{prefix}_changelist": admin_row("ok"),
                f"admin:{prefix}_add": admin_row(writable),
                f"admin:{prefix}_history": admin_row("ok"),
                f"admin:{prefix}_delete": admin_row("ok" if mode == "rw" else "403"),
                f"admin:{prefix}_change": admin_row("ok"),
                f"admin:<drift/{app}/{model}/<path:object_id>/>": admin_row("redirect"),  # old URL -> change page
            }
        )
    return rows


EXPECTED: dict = {**PORTAL, **admin_rows()}


def expected(key: str, role: str) -> str:
    return EXPECTED.get(key, {}).get(role, "MISSING FROM TABLE")


# POST-only endpoints: who may write. Everyone else must be refused (login, 404 or mfa) and change nothing.
# Endpoints no browser posts to, so no CSRF token: the client proves itself with a signed assertion
# (token, pushed requests) or a bearer token (userinfo). Only the local stand-in mounts them.
CSRF_EXEMPT = {"oauth2_provider:token", "oauth2_provider:pushed-authorization-request", "oauth2_provider:user-info"}

POST_ALLOWED = {
    # Clients, not users, call the token endpoint (private_key_jwt decides; tests/security/test_bad_tokens.py).
    "oauth2_provider:token": set(ROLES),
    "oauth2_provider:pushed-authorization-request": set(ROLES),
    "tools:tool_add": {"citizen_a", "citizen_b", "parent", "proxy"},
    "tools:review_assess": {"reviewer"},
    "tools:review_withdraw": {"reviewer"},
    "dialogs:acting_for": {"citizen_a", "citizen_b", "parent", "proxy"},
    "desk:claim": {"reception", "clinician", "clinic_admin"},
    "desk:assign": {"reception", "clinician", "clinic_admin"},
    # The world's case is an e-konsultasjon: closing it is an answer, a clinician's (epj/roles.py).
    "desk:close": {"clinician"},
    "desk:charge_paid": {"reception", "clinician", "clinic_admin"},
    # Absence for Kari's own service: Kari, or the clinic admin for every service; not reception.
    "desk:absence_cancel": {"clinician", "clinic_admin"},
    # Every desk role keeps the services' patient lists (epj/roles.py).
    "desk:patient_list_add": {"reception", "clinician", "clinic_admin"},
}

# Pages a role may read (GET ok) but whose POST its role may not make: the service refuses with
# 403 and changes nothing (epj/roles.py). The world's case is an e-konsultasjon, answered with
# fee 2ae by clinicians only; the absence page's form is for clinicians and the clinic admin.
ROLE_REFUSED_POSTS = {
    "desk:case": {"reception", "clinic_admin"},
    "desk:absence": {"reception"},
}
REFUSED = {"login", "404", "mfa", "403"}
