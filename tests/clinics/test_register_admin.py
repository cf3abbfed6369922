"""Operators manage organisations, services and HER-ids in the admin; the register's invariants hold there too."""

import pytest
from django.core.exceptions import ValidationError

from clinics.admin import ServiceAdminForm
from clinics.models import AppointmentLevel, Organisation, Process, Service, ServiceKind
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as

pytestmark = pytest.mark.django_db


def test_organisation_cannot_take_a_services_her_id():
    service = f.ServiceFactory()
    with pytest.raises(ValidationError) as exc:
        Organisation(her_id=service.her_id, name="Kollisjon").full_clean()
    assert "her_id" in exc.value.message_dict


def test_service_cannot_take_an_organisations_her_id():
    org = f.OrganisationFactory()
    with pytest.raises(ValidationError) as exc:
        Service(organisation=org, her_id=org.her_id, name="Kollisjon", kind=ServiceKind.GP).full_clean()
    assert "her_id" in exc.value.message_dict


@pytest.mark.parametrize(
    "org_number,valid", [("974600005", True), ("974600001", False), ("97460000", False), ("", True)]
)
def test_organisation_number_check_digit(org_number, valid):
    org = Organisation(her_id=8199999, name="Test", org_number=org_number)
    if valid:
        org.full_clean()
    else:
        with pytest.raises(ValidationError):
            org.full_clean()


def _kind_change(service, kind):
    data = {
        "organisation": service.organisation_id,
        "her_id": service.her_id,
        "name": service.name,
        "kind": kind,
        "response_days": service.response_days,
        "active": "on",
    }
    return ServiceAdminForm(data=data, instance=service)


def test_changing_kind_is_refused_while_processes_fall_outside_the_new_kind():
    gp = f.gp_service()  # renewal, e-konsultasjon and booking: none allowed for a home service
    form = _kind_change(gp, ServiceKind.HOME_SERVICE)
    assert not form.is_valid()
    text = " ".join(form.errors["kind"])
    assert "Fornye resept" in text and "Se og avbestille timer" in text
    gp.refresh_from_db()
    assert gp.kind == ServiceKind.GP


def test_changing_kind_is_allowed_once_the_processes_fit():
    service = f.ServiceFactory(processes={Process.EKONTAKT: None, Process.APPOINTMENTS: AppointmentLevel.VIEW})
    form = _kind_change(service, ServiceKind.HOME_SERVICE)
    assert form.is_valid(), form.errors
    form.save()
    assert Service.objects.get(pk=service.pk).kind == ServiceKind.HOME_SERVICE


@pytest.mark.parametrize(
    "path",
    [
        "/drift/clinics/organisation/",
        "/drift/clinics/service/",
        "/drift/clinics/staffmembership/",
        "/drift/clinics/healthcontact/",
        "/drift/accounts/person/",
        "/drift/accounts/user/",
    ],
)
def test_operator_admin_pages_open(client, cast, path):
    operator = f.UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    login_as(client, operator)
    assert client.get(path).status_code == 200
    if path.startswith("/drift/clinics/service/"):
        assert client.get(f"{path}{cast.gp_service.pk}/change/").status_code == 200


def test_clinic_staff_cannot_open_the_admin(client, cast):
    login_as(client, cast.clinic_admin)
    response = client.get("/drift/clinics/organisation/")
    assert response.status_code in {302, 403}
    assert response.status_code == 403 or "/login/" in response["Location"]
