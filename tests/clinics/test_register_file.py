"""`manage.py register export|import`: the documented JSON format, all-or-nothing, line-precise errors."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clinics.demo import seed_register
from clinics.located_json import JsonSyntaxError, located_json_parse
from clinics.models import AppointmentLevel, Organisation, Process, Service, ServiceKind, ServiceProcess
from clinics.register_file import RegisterImportError, register_export, register_export_text, register_import
from tests import factories as f

pytestmark = pytest.mark.django_db


def line_of(text, needle, occurrence=1):
    """The 1-based line of the n-th occurrence of `needle` (the test states what it expects by content)."""
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1


def document(*organisations):
    return {"format": "helsenorge-adresseregister", "version": 1, "organisations": list(organisations)}


def organisation(her_id=8150001, name="Elvebakken legesenter", services=(), **extra):
    return {
        "her_id": her_id,
        "name": name,
        "org_number": "974600005",
        "is_hospital": False,
        "active": True,
        "services": list(services),
        **extra,
    }


def service(her_id=8150011, name="Fastlege Berit Bakke", kind="gp", processes=None, **extra):
    if processes is None:
        processes = [{"process": "e_contact"}, {"process": "appointments", "appointment_level": "book"}]
    return {
        "her_id": her_id,
        "name": name,
        "kind": kind,
        "response_days": 2,
        "active": True,
        "processes": processes,
        **extra,
    }


def as_text(doc):
    return json.dumps(doc, ensure_ascii=False, indent=2)


def register_state():
    """Everything the import may touch, to prove a refused import changed nothing."""
    return register_export()


# --- the position-tracking reader ----------------------------------------------------------


def test_located_reader_knows_where_each_value_starts():
    text = '{\n  "a": [\n    1,\n    {"b": true}\n  ],\n  "c": "x"\n}\n'
    value = located_json_parse(text)
    assert value == json.loads(text)
    assert value.line == 1 and value.lines == {"a": 2, "c": 6}
    assert value["a"].lines == [3, 4]
    assert value["a"][1].line == 4


@pytest.mark.parametrize(
    "text,line,column",
    [
        ('{\n  "a": 1,\n}', 3, 1),  # trailing comma
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3),  # missing comma
        ('{\n  "a": tru\n}', 2, 8),  # bad literal
        ('{\n  "a": "x\ty"\n}', 2, 10),  # control character inside a string
        ('{"a": 1} x', 1, 10),  # trailing content
        ("", 1, 1),
        ('{\n "a": NaN\n}', 2, 7),  # not JSON, although json.loads takes it
    ],
)
def test_located_reader_reports_syntax_errors_with_line_and_column(text, line, column):
    with pytest.raises(JsonSyntaxError) as exc:
        located_json_parse(text)
    assert (exc.value.line, exc.value.column) == (line, column)


def test_located_reader_refuses_duplicate_keys():
    with pytest.raises(JsonSyntaxError) as exc:
        located_json_parse('{\n "a": 1,\n "a": 2\n}')
    assert exc.value.line == 3 and "linje 2" in exc.value.message


# --- export and round trip -------------------------------------------------------------------


def test_import_into_empty_register_then_export_gives_the_same_document():
    doc = document(
        organisation(
            services=[
                service(),
                service(
                    8150012,
                    "Hjemmesykepleien",
                    "home_service",
                    [{"process": "appointments", "appointment_level": "view_cancel"}],
                ),
            ]
        ),
        organisation(
            8150100,
            "Elvebakken sykehus",
            is_hospital=True,
            org_number="974600013",
            services=[
                service(
                    8150101,
                    "Kirurgisk poliklinikk",
                    "specialist",
                    [{"process": "documents"}, {"process": "journal_copy"}],
                )
            ],
        ),
    )
    report = register_import(text=as_text(doc))
    assert report.organisations["created"] == 2 and report.services["created"] == 3
    exported = register_export()
    # Export orders processes the way Process lists them.
    doc["organisations"][1]["services"][0]["processes"] = [{"process": "journal_copy"}, {"process": "documents"}]
    assert exported == doc
    assert ServiceProcess.objects.get(service__her_id=8150012).appointment_level == AppointmentLevel.VIEW_CANCEL


def test_export_then_import_restores_the_register_by_her_id():
    seed_register()
    text = register_export_text()
    kari = Service.objects.get(her_id=8140011)
    kari.name = "Omdøpt"
    kari.save()
    kari.processes.filter(process=Process.RENEWAL).delete()
    Organisation.objects.filter(her_id=8140100).update(active=False)

    report = register_import(text=text)

    assert register_export_text() == text
    assert report.organisations == {"created": 0, "updated": 1, "unchanged": 3}
    assert report.services == {"created": 0, "updated": 1, "unchanged": 6}


def test_import_upserts_and_leaves_unlisted_rows_alone():
    org = f.OrganisationFactory(her_id=8150001, name="Gammelt navn")
    listed = f.gp_service(organisation=org, her_id=8150011)
    unlisted = f.gp_service(organisation=org, her_id=8150019, name="Står ikke i filen")
    unlisted_processes = set(unlisted.processes.values_list("process", flat=True))

    register_import(text=as_text(document(organisation(services=[service(processes=[{"process": "e_contact"}])]))))

    org.refresh_from_db()
    assert org.name == "Elvebakken legesenter"
    assert list(listed.processes.values_list("process", flat=True)) == [Process.EKONTAKT]
    assert Service.objects.get(pk=listed.pk).organisation == org
    assert set(unlisted.processes.values_list("process", flat=True)) == unlisted_processes
    assert Service.objects.get(pk=unlisted.pk).name == "Står ikke i filen"


def test_a_file_with_the_older_norwegian_codes_still_imports():
    legacy = service(
        kind="fastlege", processes=[{"process": "ekontakt"}, {"process": "timer", "appointment_level": "book"}]
    )
    register_import(text=as_text(document(organisation(services=[legacy]))))
    imported = Service.objects.get(her_id=8150011)
    assert imported.kind == ServiceKind.GP
    assert set(imported.processes.values_list("process", flat=True)) == {Process.EKONTAKT, Process.APPOINTMENTS}
    assert register_export() == document(organisation(services=[service()]))


def test_dry_run_reports_but_changes_nothing():
    seed_register()
    before = register_state()
    report = register_import(text=as_text(document(organisation(services=[service()]))), dry_run=True)
    assert report.dry_run and report.organisations["created"] == 1 and report.services["created"] == 1
    assert register_state() == before
    assert not Organisation.objects.filter(her_id=8150001).exists()


# --- refused files: every error by line, and nothing changes ----------------------------------


def _bad(mutate):
    """A valid two-organisation document that `mutate` spoils; returns the text."""
    doc = document(
        organisation(services=[service()]),
        organisation(
            8150100,
            "Elvebakken kommune",
            org_number="974600013",
            services=[service(8150101, "Hjemmetjenesten", "home_service", [{"process": "e_contact"}])],
        ),
    )
    mutate(doc)
    return as_text(doc)


def _set(path, value):
    def mutate(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


HOME = ("organisations", 1, "services", 0)
CASES = {
    "unknown kind": (_set(HOME + ("kind",), "tannlege"), '"tannlege"', "ukjent tjenestetype"),
    "renewal for a home service": (
        _set(HOME + ("processes",), [{"process": "renewal"}]),
        '"renewal"',
        "kan ikke tilby",
    ),
    "booking for a home service": (
        _set(HOME + ("processes",), [{"process": "appointments", "appointment_level": "book"}]),
        '"book"',
        "kan høyst tilby",
        2,
    ),
    "appointments without a level": (
        _set(HOME + ("processes",), [{"process": "appointments"}]),
        '"appointments"\n',
        "tilbudsnivå",
    ),
    "level on another process": (
        _set(HOME + ("processes",), [{"process": "e_contact", "appointment_level": "view"}]),
        '"view"',
        "gjelder bare prosessen",
    ),
    "unknown process": (_set(HOME + ("processes",), [{"process": "telepati"}]), '"telepati"', "ukjent prosess"),
    "same process twice": (
        _set(HOME + ("processes",), [{"process": "e_contact"}, {"process": "e_contact"}]),
        '"e_contact"',
        "to ganger",
        3,
    ),
    "org number with a wrong check digit": (
        _set(("organisations", 1, "org_number"), "974600014"),
        '"974600014"',
        "Kontrollsifferet",
    ),
    "org number as a number": (_set(("organisations", 1, "org_number"), 974600013), "974600013", "må være tekst"),
    "org number too short": (_set(("organisations", 1, "org_number"), "97460"), '"97460"', "9 siffer"),
    "her_id as text": (_set(HOME + ("her_id",), "8150101"), '"8150101"', "heltall"),
    "her_id negative": (_set(HOME + ("her_id",), -5), "-5", "utenfor gyldig område"),
    "response days as text": (_set(HOME + ("response_days",), "2"), '"response_days": "2"', "heltall"),
    "active as text": (_set(("organisations", 1, "active"), "ja"), '"ja"', "true eller false"),
    "empty name": (_set(HOME + ("name",), "  "), '"  "', "tomt"),
    "unknown field": (_set(HOME + ("respons_days",), 3), '"respons_days"', "ukjent felt"),
    "services not a list": (_set(("organisations", 1, "services"), {}), '"services": {}', "liste"),
    "a service that is not an object": (_set(("organisations", 1, "services"), [7]), "7\n", "objekt"),
    # The duplicate cases point at the second occurrence, the one that clashes.
    "duplicate HER-id in the file": (_set(HOME + ("her_id",), 8150011), "8150011", "allerede brukt på linje", 2),
    "service HER-id equal to an organisation in the file": (
        _set(HOME + ("her_id",), 8150001),
        "8150001",
        "allerede brukt på linje",
        2,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_row_is_reported_on_its_line_and_nothing_changes(case):
    mutate, needle, reason, *extra = CASES[case]
    occurrence = extra[0] if extra else 1
    seed_register()
    before = register_state()
    text = _bad(mutate)
    with pytest.raises(RegisterImportError) as exc:
        register_import(text=text)
    assert [(e.line, reason in e.message) for e in exc.value.errors] == [(line_of(text, needle, occurrence), True)]
    assert register_state() == before
    # The valid first organisation in the same file was not written either.
    assert not Organisation.objects.filter(her_id=8150001).exists()


def test_missing_required_field_points_at_the_object():
    text = _bad(lambda doc: doc["organisations"][1]["services"][0].pop("kind"))
    with pytest.raises(RegisterImportError) as exc:
        register_import(text=text)
    assert [(e.line, "«kind»" in e.message) for e in exc.value.errors] == [
        (line_of(text, '"her_id": 8150101') - 1, True)
    ]


def test_her_id_clashes_with_the_database_are_refused():
    seed_register()
    before = register_state()
    doc = document(
        # An organisation claiming a service's HER-id.
        organisation(8140011, "Klinikk A", services=[]),
        # A service claiming an organisation's HER-id, and one belonging to another organisation.
        organisation(8150001, "Klinikk B", services=[service(8140100, "X"), service(8140301, "Y")]),
    )
    text = as_text(doc)
    with pytest.raises(RegisterImportError) as exc:
        register_import(text=text)
    found = {(e.line, e.message.split(";")[0]) for e in exc.value.errors}
    assert {line for line, _ in found} == {line_of(text, "8140011"), line_of(text, "8140100"), line_of(text, "8140301")}
    assert any("annen virksomhet" in e.message for e in exc.value.errors)
    assert register_state() == before


def test_every_error_in_a_file_is_reported_at_once():
    def spoil(doc):
        doc["organisations"][0]["services"][0]["kind"] = "tannlege"
        doc["organisations"][1]["org_number"] = "123"
        doc["organisations"][1]["services"][0]["processes"] = [{"process": "renewal"}]

    text = _bad(spoil)
    with pytest.raises(RegisterImportError) as exc:
        register_import(text=text)
    assert [e.line for e in exc.value.errors] == sorted(
        [line_of(text, '"tannlege"'), line_of(text, '"123"'), line_of(text, '"renewal"')]
    )


@pytest.mark.parametrize(
    "text,line,reason",
    [
        (
            '{\n  "format": "helsenorge-adresseregister",\n  "version": 1,\n  "organisations": [\n    {"her_id": 1,}\n  ]\n}',
            5,
            "ugyldig JSON",
        ),
        ("[]", 1, "ett JSON-objekt"),
        ('{\n  "format": "noe annet",\n  "version": 1,\n  "organisations": []\n}', 2, "«format»"),
        ('{\n  "format": "helsenorge-adresseregister",\n  "version": 2,\n  "organisations": []\n}', 3, "versjon"),
    ],
)
def test_malformed_documents_are_refused_with_a_line(text, line, reason):
    with pytest.raises(RegisterImportError) as exc:
        register_import(text=text)
    assert [(e.line, reason in e.message) for e in exc.value.errors] == [(line, True)]


# --- the management command --------------------------------------------------------------------


def test_command_export_to_file_and_import_round_trip(tmp_path, capsys):
    seed_register()
    out = tmp_path / "register.json"
    call_command("register", "export", "--output", str(out))
    assert out.read_text(encoding="utf-8") == register_export_text()
    call_command("register", "import", str(out))
    assert "4 unchanged" in capsys.readouterr().out


def test_command_export_to_stdout(capsys):
    seed_register()
    call_command("register", "export")
    assert json.loads(capsys.readouterr().out) == register_export()


def test_command_refuses_a_bad_file_with_file_and_line(tmp_path, capsys):
    seed_register()
    before = register_state()
    path = tmp_path / "bad.json"
    text = _bad(_set(HOME + ("kind",), "tannlege"))
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was changed") as exc:
        call_command("register", "import", str(path))
    assert exc.value.returncode == 1
    assert f"{path}:{line_of(text, 'tannlege')}: «kind»: ukjent tjenestetype" in capsys.readouterr().err
    assert register_state() == before


def test_command_line_exits_non_zero_on_a_bad_file(tmp_path):
    """Through manage.py in its own process: exit status 1 and FILE:LINE on stderr. The file is
    malformed JSON, which is refused before the database is consulted, so a fresh var folder will do."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "helsenorge-adresseregister",\n  "version": 1\n  "organisations": []\n}\n')
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(HN_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="helsenorge.test_settings")
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "register", "import", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"{path}:4: ugyldig JSON" in result.stderr
    assert "nothing was changed" in result.stderr


def test_command_dry_run_changes_nothing(tmp_path, capsys):
    path = tmp_path / "new.json"
    path.write_text(as_text(document(organisation(services=[service()]))), encoding="utf-8")
    call_command("register", "import", str(path), "--dry-run")
    assert "Dry run" in capsys.readouterr().out
    assert not Organisation.objects.exists()


def test_command_refuses_non_utf8_with_the_line(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(as_text(document(organisation(name="Tromsø"))).encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin1\.json:\d+: the file is not UTF-8"):
        call_command("register", "import", str(path))
    assert not Organisation.objects.exists()


def test_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("register", "import", str(tmp_path / "finnes-ikke.json"))


def test_documented_codes_and_frames_match_the_code():
    """docs/register-format.md lists the kinds, processes and levels the importer accepts, and its
    'allowed for' column says what PROCESS_FRAMES says."""
    import re

    from django.conf import settings

    from clinics.models import PROCESS_FRAMES

    doc = (settings.BASE_DIR / "docs" / "register-format.md").read_text(encoding="utf-8")
    for value in list(ServiceKind.values) + list(Process.values) + list(AppointmentLevel.values):
        assert f"`{value}`" in doc
    documented = {}
    for code, allowed in re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", doc, re.M):
        if code in Process.values:
            kinds = (
                set(ServiceKind.values)
                if allowed.startswith("all kinds")
                else set(re.findall(r"`(\w+)`", allowed.split(";")[0]))
            )
            documented[code] = kinds
    expected = {p: {k for k, allowed in PROCESS_FRAMES.items() if p in allowed} for p in Process.values}
    assert documented == expected


def test_command_reads_standard_input(monkeypatch, capsys):
    import io

    text = as_text(document(organisation(services=[service()])))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
    call_command("register", "import", "-")
    assert "1 created" in capsys.readouterr().out
    assert Service.objects.get(her_id=8150011).organisation.her_id == 8150001


def test_demo_register_is_valid_under_the_models_own_rules():
    for service in seed_register().values():
        service.organisation.full_clean()
        service.full_clean()
        for sp in service.processes.all():
            sp.full_clean()
