"""The admin (/drift/) holds no health content, and no operator can edit any.

Every field that holds a citizen's health content (HEALTH_FIELDS, kept here rather than read from
the admin classes, so an admin cannot pass by declaring less) gets a secret marker in every row of
the authorisation matrix's world. The operator then opens every registered ModelAdmin's changelist,
the change and history page of every row: the marker must never be in the HTML, and a search for
it finds no row. Posting edits to the health fields of a model that has any is refused and changes
nothing. A guard makes every text, binary or JSON field of the project's models be classified, so
a new model cannot slip in unnoticed.
"""

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from tests.security.test_authz_matrix import changed, client_as, snapshot
from tests.stores import stores_of

MARKER = "HEMMELIG-HELSE-Q7X"

# model label -> the fields that hold health content (text, titles, subjects, attachments,
# payloads, medication names, diagnoses, notes to the patient).
HEALTH_FIELDS = {
    "epj_records.RecordNote": ["title", "text"],
    "epj_records.HospitalDocument": ["title", "department", "text"],
    "epj.JournalEntry": ["subject", "text"],
    "epj_desk.Case": ["subject"],
    "epj_desk.DeskMessage": ["subject", "text", "medication", "collect_text"],
    "epj_desk.DeskAttachment": ["description", "data"],
    "epj_desk.Medication": ["name", "dosage"],
    "epj_timebooks.Booking": ["note"],
    "dialogs.Thread": ["subject"],
    "dialogs.DialogMessage": ["subject", "text", "answers", "medication", "error_text"],
    "dialogs.DialogAttachment": ["filename", "data"],
    "dialogs.RenewedPrescription": ["name", "dosage"],
    "national.Prescription": ["name", "dosage", "m1"],
    "appointments.Appointment": ["title", "status_note"],
    "journal.JournalDocument": ["data"],
    "tools.ToolDispatch": ["note"],
    "messaging.Envelope": ["payload", "error_text"],
}
# Text, binary and JSON fields that hold no health content (ids, names of parties, the register,
# the catalogue, configuration, metadata the logs keep on purpose).
NOT_HEALTH = {
    "accounts.User": {"password"},
    # The stand-in's claims for one unused code: an identity number and an assurance level, no health data.
    "testidp.Assertion": {"claims"},
    "clinics.Organisation": set(),
    "national.PartyCertificate": {"pem"},  # a party's public certificate from the address register
    "messaging.Notice": {"last_error", "path"},
    "messaging.TransportErrorMessage": {"description", "condition_data"},  # transport faults, no payload
    "tools.Tool": {"purpose", "privacy_text", "evidence", "withdrawal_reason"},
    "tools.ToolEvent": {"notes"},  # the reviewers' notes on a catalogue entry
    "epj.EpjOutage": {"reason"},
    # The EPJ's own sessions: the signed-in staff record's id, HelseID's id_token (the staff member's
    # identity), the page to return to and the login's state; the EPJ's pages keep nothing else there.
    "epj.StaffSession": {"session_data"},
    "epj_timebooks.AvailabilityException": {"reason"},
    "epj_desk.AbsenceNotice": {"text"},  # "the doctor is away", shown to every patient
    "journal.JournalCopyRequest": {"error_text"},  # the AppRec's error text (codes, no content)
    "journal.JournalDocument": {"title", "filename"},  # generated: "Journalkopi fra <organisation>"
    "national.AccessLogEntry": {"object_ref", "reason"},  # no health content by rule; the citizen reads them
    "national.StaffAuditEntry": {"object_ref", "detail"},
}


def _project_models():
    base = str(django_settings.BASE_DIR)
    for model in apps.get_models():
        path = model._meta.app_config.path
        if path.startswith(base) and "site-packages" not in path:
            yield model


def _marker_value(field):
    if isinstance(field, models.BinaryField):
        return MARKER.encode()
    if isinstance(field, models.JSONField):
        return [{"question": MARKER, "answer": MARKER}]
    return MARKER


def _plant_markers():
    for label, names in HEALTH_FIELDS.items():
        model = apps.get_model(label)
        if model in admin.site._registry:
            assert model._default_manager.exists(), f"the world has no {label} row to mark"
        for store in stores_of(model):  # the relay's records: both sides' rows
            model._default_manager.using(store).update(
                **{name: _marker_value(model._meta.get_field(name)) for name in names}
            )


def test_every_free_text_binary_and_json_field_is_classified():
    unclassified = []
    for model in _project_models():
        label = model._meta.label
        classified = {*HEALTH_FIELDS.get(label, []), *NOT_HEALTH.get(label, set())}
        for fl in model._meta.concrete_fields:
            if isinstance(fl, models.TextField | models.BinaryField | models.JSONField) and fl.name not in classified:
                unclassified.append(f"{label}.{fl.name}")
    assert not unclassified, f"say whether these hold health content (HEALTH_FIELDS or NOT_HEALTH): {unclassified}"


def test_no_admin_shows_or_accepts_health_content(world):
    _plant_markers()
    client = client_as(world, "operator")
    operator = world.users["operator"]
    request = RequestFactory().get("/drift/")
    request.user = operator
    problems = []
    registered = [(m, a) for m, a in admin.site._registry.items() if m in set(_project_models())]
    assert len(registered) >= 20, "the walk must reach the project's model admins"
    for model, model_admin in registered:
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        # Searching for health text must find nothing (the page echoes the query, so count rows).
        found = model_admin.search_fields and client.get(changelist, {"q": MARKER}).context["cl"].result_count
        if found:
            problems.append(f"searching {changelist} for health text finds {found} rows")
        pages = [changelist]
        for pk in model._default_manager.values_list("pk", flat=True)[:20]:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
            pages.append(reverse("admin:{}_{}_history".format(*info), args=[pk]))
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                problems.append(f"GET {url}: {response.status_code}")
            elif MARKER in response.content.decode():
                problems.append(f"GET {url} shows health content")
        health = HEALTH_FIELDS.get(model._meta.label)
        if not health:
            continue
        row = model._default_manager.order_by("pk").first()
        if model_admin.has_change_permission(request, row) or model_admin.has_add_permission(request):
            problems.append(f"{model._meta.label} holds health content and is editable in the admin")
        before = snapshot()
        edits = {name: "ENDRET AV DRIFT" for name in health}
        for name in ("change", "add"):
            try:
                url = reverse(f"admin:{info[0]}_{info[1]}_{name}", args=[row.pk] if name == "change" else [])
            except NoReverseMatch:
                continue
            got = client.post(url, {**edits, "_save": "Lagre"}).status_code
            if got != 403:
                problems.append(f"POST {url}: {got}, expected 403")
        if diff := changed(before, snapshot()):
            problems.append(f"a refused edit of {model._meta.label} changed {diff}")
    # The break-glass page's form shows no content before a reason is given.
    assert MARKER not in client.get(reverse("break_glass")).content.decode()
    assert not problems, "\n".join(problems)
