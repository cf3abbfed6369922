"""The national population register: operators load and export it; the EPJ reads names and E53
from it, never from the portal's persons."""

import json

import pytest
from django.core.management import CommandError, call_command

from epj.services import epj_patient_for, epj_patient_register
from messaging.codec import Patient
from messaging.relay import Reject
from national.models import Resident
from national.selectors import resident_for, resident_named
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_factory_person_is_a_resident_with_the_same_facts():
    person = f.PersonFactory(given_name="Nora", address_code="HOME-9")
    resident = resident_for(nin=person.nin)
    assert (resident.given_name, resident.family_name, resident.birth_date, resident.address_code) == (
        "Nora",
        person.family_name,
        person.birth_date,
        "HOME-9",
    )


def test_a_resident_is_found_by_exact_name_first_entry_first():
    first = f.PersonFactory(given_name="Ada", family_name="Lind")
    f.PersonFactory(given_name="Ada", family_name="Lind")
    f.PersonFactory(given_name="Ada", family_name="Lindeberg")
    assert resident_named(given_name="Ada", family_name="Lind").nin == first.nin
    assert resident_named(given_name="Ada", family_name="Lin") is None


def test_load_creates_and_updates_by_number_and_export_gives_it_back(tmp_path, capsys):
    person = f.PersonFactory.build()
    rows = [{"nin": person.nin, "given_name": "Ida", "family_name": "Ny", "birth_date": str(person.birth_date)}]
    source = tmp_path / "residents.json"
    source.write_text(json.dumps(rows), encoding="utf-8")
    call_command("population", "load", str(source))
    rows[0].update(family_name="Gift", confidentiality="7", deceased=True)
    source.write_text(json.dumps(rows), encoding="utf-8")
    call_command("population", "load", str(source))
    assert "0 created, 1 updated." in capsys.readouterr().out
    resident = Resident.objects.get(nin=person.nin)
    assert (resident.family_name, resident.confidentiality, resident.deceased) == ("Gift", "7", True)

    target = tmp_path / "export.json"
    call_command("population", "export", "--output", str(target))
    exported = {row["nin"]: row for row in json.loads(target.read_text(encoding="utf-8"))}
    assert exported[person.nin]["birth_date"] == person.birth_date.isoformat()
    assert exported[person.nin]["family_name"] == "Gift"


@pytest.mark.parametrize(
    "row",
    [
        {"nin": "123", "given_name": "A", "family_name": "B", "birth_date": "1980-01-01"},
        {"nin": "01018012345", "given_name": "A", "family_name": "B", "birth_date": "1980-13-01"},
        {
            "nin": "01018012345",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1980-01-01",
            "confidentiality": "9",
        },
        {"nin": "01018012345", "given_name": "A", "birth_date": "1980-01-01"},
    ],
)
def test_a_bad_row_loads_nothing(tmp_path, row):
    source = tmp_path / "residents.json"
    good = {"nin": "02028012345", "given_name": "C", "family_name": "D", "birth_date": "1980-02-02"}
    source.write_text(json.dumps([good, row]), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("population", "load", str(source))
    assert not Resident.objects.exists()


def test_the_epj_answers_e53_from_the_register_not_from_the_portals_persons(cast):
    person = f.PersonFactory()
    Resident.objects.filter(nin=person.nin).delete()  # the portal knows her; the register does not
    with pytest.raises(Reject) as refused:
        epj_patient_for(organisation=cast.gp_org, patient=Patient(nin=person.nin))
    assert refused.value.code == "E53"


def test_the_epj_lists_a_patient_with_the_registers_name(cast):
    person = f.PersonFactory(given_name="Portalnavn")
    Resident.objects.filter(nin=person.nin).update(given_name="Registernavn")
    patient = epj_patient_register(organisation=cast.gp_org, nin=person.nin)
    assert patient.given_name == "Registernavn"
    with pytest.raises(ValueError):
        epj_patient_register(organisation=cast.gp_org, nin=f.PersonFactory.build().nin)
