"""The XML attack corpus fed through `manage.py relay receive --side epj FILE`.

Each hostile document must end in its documented exit code and 8221 code, and change nothing
but the relay's own bookkeeping (no journal entry, no patient, no dialog copy).
"""

import io
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

from epj.models import JournalEntry
from messaging.codec import apprec_parse, message_build
from tests.security.conftest import CASE_NAMES, application_row_counts, case_named
from tests.security.corpus import ACCEPTED, REJECTED, UNUSABLE, legit_message, replay_case
from tests.workers import worker_env


def relay_receive(path, *, from_her_id=None) -> tuple[int | str | None, str, str]:
    """Run the command in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    args = ["relay", "receive", "--side", "epj", str(path)]
    if from_her_id is not None:
        args += ["--from-her-id", str(from_her_id)]
    with pytest.raises(SystemExit) as exited:
        call_command(*args, stdout=out, stderr=err)
    return exited.value.code, out.getvalue(), err.getvalue()


def apprec_in(stdout: str):
    return apprec_parse(stdout[stdout.index("<?xml") :].encode("utf-8"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_document_is_refused_with_its_code_and_changes_nothing(clinic, tmp_path, name):
    case = case_named(clinic, name)
    path = tmp_path / f"{name}.xml"
    path.write_bytes(case.payload)
    before = application_row_counts()

    exit_code, out, err = relay_receive(path, from_her_id=case.from_her_id)

    assert exit_code == case.exit_code, (out, err)
    if case.exit_code == REJECTED:
        apprec = apprec_in(out)
        assert apprec.status == 2
        assert [e.code for e in apprec.errors] == [case.code]
        assert apprec.original_msg_id == case.msg_id
        assert f"AppRec status 2: {case.code} " in err
    else:
        assert exit_code == UNUSABLE and f"{case.code}:" in err
    assert application_row_counts() == before


@pytest.mark.django_db
def test_the_same_bytes_from_the_right_party_are_accepted(clinic, tmp_path):
    """The control for the spoof cases: the sender check refuses only a mismatch."""
    path = tmp_path / "legit.xml"
    message = legit_message(clinic, subject="Ekte")
    path.write_bytes(message_build(message))
    exit_code, out, err = relay_receive(path, from_her_id=settings.HN_PORTAL_HER_ID)
    assert exit_code == ACCEPTED, err
    assert apprec_in(out).status == 1
    assert list(JournalEntry.objects.values_list("msg_id", "subject")) == [(message.msg_id, "Ekte")]


@pytest.mark.django_db
def test_replayed_msg_id_with_new_content_applies_nothing_and_answers_as_before(clinic, tmp_path):
    original = legit_message(clinic, subject="Første")
    first = tmp_path / "first.xml"
    first.write_bytes(message_build(original))
    exit_code, first_out, _ = relay_receive(first)
    assert exit_code == ACCEPTED
    before = application_row_counts()

    replay = tmp_path / "replay.xml"
    replay.write_bytes(replay_case(clinic, original).payload)
    exit_code, out, err = relay_receive(replay)

    assert exit_code == ACCEPTED and "allerede mottatt" in err
    assert apprec_in(out).msg_id == apprec_in(first_out).msg_id  # the first answer, not a new one
    assert application_row_counts() == before
    assert list(JournalEntry.objects.values_list("subject", flat=True)) == ["Første"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["billion-laughs", "spoof-claims-portal", "unknown-receiver"])
def test_the_real_manage_py_prints_the_code_and_exits_with_it(clinic, tmp_path, name):
    """The same path through a separate `manage.py` process (as an operator runs it)."""
    case = case_named(clinic, name)
    path = tmp_path / f"{name}.xml"
    path.write_bytes(case.payload)
    args = [sys.executable, "manage.py", "relay", "receive", "--side", "epj", str(path)]
    if case.from_her_id is not None:
        args += ["--from-her-id", str(case.from_her_id)]
    done = subprocess.run(args, cwd=settings.BASE_DIR, env=worker_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == case.exit_code, done.stderr
    assert case.code in done.stderr
    assert not JournalEntry.objects.exists()
