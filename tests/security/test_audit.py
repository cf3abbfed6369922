"""The staff audit trail: each audited write leaves exactly one entry, nobody can change or delete
one, and `manage.py audit export` gives a citizen everything both trails hold about them."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.nin import nin_generate
from clinics.register_file import register_export_text, register_import
from clinics.services import service_processes_set
from epj.desk.models import Case, CaseKind
from epj.desk.services import case_assign, case_claim, case_close, case_reply, charge_mark_paid, clinic_thread_start
from epj.staff import staff_id
from epj.timebooks import services as timebooks
from national.models import StaffAuditEntry
from national.services import access_log_write, audit_write
from tests.conftest import login_as
from tests.desk.test_desk import three_cases  # noqa: F401 (fixture)
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.timebooks.helpers import make_slot, make_timebooks
from tests.tools.conftest import approve_all, maker, published, reviewer, send, submit_tool  # noqa: F401
from tools.models import ToolStatus

Action = StaffAuditEntry.Action
pytestmark = pytest.mark.django_db


def entries():
    return list(StaffAuditEntry.objects.order_by("pk"))


def one_new(before: int, *, action, actor, person_nin="", organisation=None) -> StaffAuditEntry:
    """Exactly one entry was written since `before` entries, and it says who did what to whom."""
    new = entries()[before:]
    assert [e.action for e in new] == [action]
    entry = new[0]
    assert (entry.actor_nin, entry.actor_email) == ((actor.nin, actor.email) if actor else ("", ""))
    assert entry.actor_name == (actor.display_name if actor else "kommandolinje")
    assert entry.person_nin == person_nin
    assert entry.organisation_her_id == (organisation.her_id if organisation else None)
    return entry


# --- the desk ---------------------------------------------------------------------------------


def test_claim_reply_assign_close_each_write_one_entry(three_cases):  # noqa: F811
    cast = three_cases
    case = Case.objects.get(subject="Gammel sak")
    nin = cast.nora.person.nin
    n = len(entries())
    case_claim(case=case, user=cast.reception)
    one_new(n, action=Action.CASE_CLAIM, actor=cast.reception, person_nin=nin, organisation=cast.gp_org)
    n = len(entries())
    case_assign(case=case, assignee_id=staff_id(cast.kari), user=cast.reception)
    entry = one_new(n, action=Action.CASE_ASSIGN, actor=cast.reception, person_nin=nin, organisation=cast.gp_org)
    assert entry.detail == f"assignee:{staff_id(cast.kari)}" and entry.person_nin == cast.nora.person.nin
    n = len(entries())
    case_reply(case=case, user=cast.kari, text="Vi ringer deg i morgen.")
    entry = one_new(n, action=Action.CASE_REPLY, actor=cast.kari, person_nin=nin, organisation=cast.gp_org)
    # Kinds and ids only: the answer's text never reaches the trail.
    assert entry.object_ref == f"case:{case.pk}" and "ringer" not in entry.detail
    n = len(entries())
    case_close(case=case, user=cast.kari)
    one_new(n, action=Action.CASE_CLOSE, actor=cast.kari, person_nin=nin, organisation=cast.gp_org)


@pytest.mark.parametrize("outcome", ["renewed", "refused"])
def test_renewal_decision_is_in_the_entry_without_the_medication(three_cases, outcome):  # noqa: F811
    cast = three_cases
    case = Case.objects.get(kind=CaseKind.RENEWAL)
    n = len(entries())
    case_reply(case=case, user=cast.kari, text="Svar", outcome=outcome)
    entry = one_new(n, action=Action.CASE_REPLY, actor=cast.kari, person_nin=cast.emma.nin, organisation=cast.gp_org)
    assert entry.detail == outcome and "Flixotide" not in entry.object_ref + entry.detail


def test_refused_reply_writes_nothing(three_cases):  # noqa: F811
    cast = three_cases
    case = Case.objects.get(kind=CaseKind.RENEWAL)
    n = len(entries())
    with pytest.raises(ValidationError):
        case_reply(case=case, user=cast.kari, text="Svar")  # a renewal needs a decision
    assert len(entries()) == n


def test_paid_charge_and_clinic_started_thread_write_one_entry_each(cast, sent):  # noqa: F811
    _thread, case = sent
    case_reply(case=case, user=cast.kari, text="Drikk varmt.")
    n = len(entries())
    charge_mark_paid(case=case, user=cast.kari)
    one_new(n, action=Action.CHARGE_PAID, actor=cast.kari, person_nin=case.patient_nin, organisation=case.organisation)
    n = len(entries())
    started = clinic_thread_start(
        organisation=case.organisation,
        service=case.service,
        patient_nin=case.patient_nin,
        subject="Prøvesvar",
        text="Ring oss.",
        user=cast.kari,
    )
    entry = one_new(
        n, action=Action.CASE_START, actor=cast.kari, person_nin=case.patient_nin, organisation=case.organisation
    )
    assert entry.object_ref == f"case:{started.pk}"


# --- bookings at the desk ---------------------------------------------------------------------


def test_desk_book_move_cancel_write_one_entry_each(cast):
    treater, _lab = make_timebooks(cast)
    first, second = make_slot(treater), make_slot(treater, hours_ahead=72)
    nin = cast.nora.person.nin
    n = len(entries())
    booking = timebooks.desk_book(slot=first, patient_nin=nin, patient_name="Nora", user=cast.reception)
    entry = one_new(n, action=Action.BOOKING_BOOK, actor=cast.reception, person_nin=nin, organisation=cast.gp_org)
    assert entry.object_ref == f"booking:{booking.pk}" and entry.person_nin == cast.nora.person.nin
    n = len(entries())
    booking = timebooks.desk_move(booking=booking, to_slot_id=second.pk, user=cast.reception)
    entry = one_new(n, action=Action.BOOKING_MOVE, actor=cast.reception, person_nin=nin, organisation=cast.gp_org)
    assert entry.detail == f"slot:{first.pk}->{second.pk}"
    n = len(entries())
    assert timebooks.desk_cancel(booking=booking, user=cast.reception)
    one_new(n, action=Action.BOOKING_CANCEL, actor=cast.reception, person_nin=nin, organisation=cast.gp_org)
    n = len(entries())
    assert not timebooks.desk_cancel(booking=booking, user=cast.reception)  # a repeat changes nothing
    assert len(entries()) == n


# --- tools ------------------------------------------------------------------------------------


def test_review_decisions_withdrawal_and_dispatch_write_one_entry_each(cast, maker, reviewer):  # noqa: F811
    tool = submit_tool(maker)
    n = len(entries())
    tool = approve_all(tool, reviewer)
    new = entries()[n:]
    assert [e.action for e in new] == [Action.TOOL_ASSESS] * 3
    assert new[-1].detail.endswith(f"status:{ToolStatus.PUBLISHED}") and all(
        e.actor_email == reviewer.email for e in new
    )
    n = len(entries())
    dispatch = send(cast, tool, cast.nora.person)
    entry = one_new(
        n, action=Action.TOOL_SEND, actor=cast.kari, person_nin=cast.nora.person.nin, organisation=cast.gp_org
    )
    assert entry.detail == f"dispatch:{dispatch.pk}" and "Prøv" not in entry.detail
    n = len(entries())
    from tools.services import tool_withdraw

    tool_withdraw(tool=tool, reviewer=reviewer, reason="Utdatert.")
    entry = one_new(n, action=Action.TOOL_WITHDRAW, actor=reviewer)
    assert entry.object_ref == f"tool:{tool.pk}" and "Utdatert" not in entry.detail


# --- the register -----------------------------------------------------------------------------


def test_clinic_admin_toggle_writes_one_entry_and_the_view_passes_the_admin(client, cast):
    service = cast.gp_service
    enabled = {sp.process: sp.appointment_level for sp in service.processes.all()}
    n = len(entries())
    service_processes_set(service=service, enabled=enabled, user=cast.clinic_admin)
    entry = one_new(n, action=Action.SERVICE_PROCESSES, actor=cast.clinic_admin, organisation=cast.gp_org)
    assert entry.object_ref == f"service:{service.her_id}"
    # Through the page as well: the admin's own toggle is audited as the admin.
    login_as(client, cast.clinic_admin)
    data = {
        "service_id": str(service.pk),
        f"s{service.pk}-p_ekontakt": "on",
        f"s{service.pk}-appointment_level": "none",
    }
    n = len(entries())
    response = client.post(reverse("clinics:clinic_services", args=[cast.gp_org.pk]), data)
    assert response.status_code == 302
    one_new(n, action=Action.SERVICE_PROCESSES, actor=cast.clinic_admin, organisation=cast.gp_org)


def test_register_import_writes_one_entry_and_a_dry_run_none(cast):
    text = register_export_text()
    n = len(entries())
    register_import(text=text, dry_run=True)
    assert len(entries()) == n
    register_import(text=text)
    entry = one_new(n, action=Action.REGISTER_IMPORT, actor=None)
    assert entry.detail.startswith("organisations:")


def test_unknown_action_is_refused(cast):
    with pytest.raises(ValueError):
        audit_write(actor=cast.kari, organisation=cast.gp_org, action="case.delete")


# Append-only (model, bulk paths, raw SQL, admin): tests/security/test_append_only.py, for both logs.


# --- the citizen's data-access export ----------------------------------------------------------


def test_export_holds_the_person_their_reads_and_their_changes_and_nobody_elses(cast, tmp_path, capsys):
    nora = cast.nora.person
    access_log_write(
        actor=cast.kari,
        organisation=cast.gp_org,
        role="clinician",
        person_nin=nora.nin,
        what="messages",
        object_ref="E-kontakt",
    )
    access_log_write(
        actor=cast.ola, organisation=cast.other_org, role="clinician", person_nin=cast.ulf.person.nin, what="messages"
    )
    audit_write(
        actor=cast.kari,
        organisation=cast.gp_org,
        action=Action.CASE_REPLY,
        person_nin=nora.nin,
        object_ref="case:7",
        detail="renewed",
    )
    audit_write(actor=cast.ola, organisation=cast.other_org, action=Action.CASE_REPLY, person_nin=cast.ulf.person.nin)
    out = tmp_path / "innsyn.json"
    call_command("audit", "export", "--citizen", nora.nin, "--output", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["person"]["nin"] == nora.nin and document["person"]["given_name"] == "Nora"
    assert [(e["actor"], e["organisation"], e["what"]) for e in document["access_log"]] == [
        (cast.kari.display_name, cast.gp_org.name, "messages")
    ]
    assert [(e["actor"], e["action"], e["reference"], e["detail"]) for e in document["staff_audit"]] == [
        (cast.kari.display_name, "case.reply", "case:7", "renewed")
    ]
    progress = capsys.readouterr().err
    assert "1 oppslag i tilgangsloggen." in progress and "1 oppføringer i revisjonssporet." in progress


def test_export_to_stdout_is_clean_json(cast, capsys):
    call_command("audit", "export", "--citizen", cast.ulf.person.nin)
    captured = capsys.readouterr()
    assert json.loads(captured.out)["person"]["nin"] == cast.ulf.person.nin
    assert captured.err  # progress goes to stderr


@pytest.mark.parametrize(
    "number, message",
    [
        ("123", "11 siffer"),
        ("abcdefghijk", "11 siffer"),
        ("01010112345", "Kontrollsifrene"),
    ],
)
def test_export_refuses_an_invalid_number(cast, number, message, tmp_path):
    out = tmp_path / "x.json"
    with pytest.raises(CommandError, match=message):
        call_command("audit", "export", "--citizen", number, "--output", str(out))
    assert not out.exists()


def test_export_refuses_an_unknown_number(cast, tmp_path):
    unknown = nin_generate(datetime.date(1970, 5, 17), female=True, serial=7)
    out = tmp_path / "x.json"
    with pytest.raises(CommandError, match="No person"):
        call_command("audit", "export", "--citizen", unknown, "--output", str(out))
    assert not out.exists()
