"""The prescription register: M1 documents as issued, listed while valid, replaced by renewals."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from epj.desk.services import prescription_issue
from messaging.codec import Resept, resept_build, resept_parse
from national.models import Prescription
from national.selectors import prescription_latest, prescriptions_valid
from national.services import prescription_register

pytestmark = pytest.mark.django_db

NIN = "13116900216"
TODAY = datetime.date(2026, 12, 3)


def m1(name="Ventoline 0,1 mg/dose", *, on=TODAY, days=365, dosage="1–2 doser ved behov") -> bytes:
    return resept_build(
        Resept(name=name, prescribed_on=on, expires_on=on + datetime.timedelta(days=days), dosage=dosage)
    )


def test_the_register_reads_what_the_m1_says():
    row = prescription_register(patient_nin=NIN, issuer_her_id=8140001, issuer_name="Fastlege", m1=m1())
    assert (row.name, row.dosage, row.prescribed_on, row.m1_version) == (
        "Ventoline 0,1 mg/dose",
        "1–2 doser ved behov",
        TODAY,
        "2.5",
    )
    assert resept_parse(bytes(row.m1)).expires_on == TODAY + datetime.timedelta(days=365)


def test_only_valid_unreplaced_prescriptions_of_the_patient_are_listed():
    old = prescription_register(patient_nin=NIN, issuer_her_id=1, m1=m1(on=TODAY - datetime.timedelta(days=300)))
    renewed = prescription_register(patient_nin=NIN, issuer_her_id=1, m1=m1())
    prescription_register(
        patient_nin=NIN, issuer_her_id=1, m1=m1("Utløpt", on=TODAY - datetime.timedelta(days=30), days=10)
    )
    prescription_register(patient_nin=NIN, issuer_her_id=2, m1=m1("Fra en annen lege"))
    prescription_register(patient_nin="12057900308", issuer_her_id=1, m1=m1("Noen andres"))

    assert Prescription.objects.get(pk=old.pk).replaced_by == renewed
    assert list(prescriptions_valid(patient_nin=NIN, on=TODAY, issuer_her_id=1)) == [renewed]
    assert {p.name for p in prescriptions_valid(patient_nin=NIN, on=TODAY)} == {
        "Ventoline 0,1 mg/dose",
        "Fra en annen lege",
    }
    assert prescription_latest(patient_nin=NIN, issuer_her_id=1, name="Ventoline 0,1 mg/dose") == renewed


@pytest.mark.parametrize(
    "data", [b"<Resept/>", b"not xml", m1().replace(b"<Utloper>", b"<Slutt>").replace(b"</Utloper>", b"</Slutt>")]
)
def test_a_document_that_is_not_a_usable_m1_is_refused_and_nothing_stored(data):
    with pytest.raises(ValidationError):
        prescription_register(patient_nin=NIN, issuer_her_id=1, m1=data)
    assert not Prescription.objects.exists()


def test_an_epj_renewal_carries_the_dosage_and_atc_over_with_new_dates(cast):
    first = resept_build(
        Resept(
            name="Levaxin 50 mikrog",
            prescribed_on=TODAY - datetime.timedelta(days=200),
            expires_on=TODAY + datetime.timedelta(days=165),
            dosage="1 tablett om morgenen",
            atc_code="H03AA01",
            atc_dn="Levotyroksinnatrium",
        )
    )
    prescription_register(patient_nin=NIN, issuer_her_id=cast.gp_org.her_id, m1=first)
    resept = prescription_issue(
        organisation=cast.gp_org, service=cast.gp_service, patient_nin=NIN, name="Levaxin 50 mikrog", on=TODAY
    )
    assert (resept.dosage, resept.atc_code, resept.prescribed_on) == ("1 tablett om morgenen", "H03AA01", TODAY)
    [current] = prescriptions_valid(patient_nin=NIN, on=TODAY)
    assert resept_parse(bytes(current.m1)) == resept and current.issuer_service_her_id == cast.gp_service.her_id


def test_seed_demo_fills_the_register_for_the_demo_patients():
    call_command("seed_demo", verbosity=0)
    assert Prescription.objects.filter(replaced_by__isnull=True).count() >= 5
    call_command("seed_demo", verbosity=0)  # a second run adds nothing
    assert Prescription.objects.filter(replaced_by__isnull=True).count() == Prescription.objects.count()
