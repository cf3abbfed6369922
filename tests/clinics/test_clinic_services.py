"""A clinic admin switches the organisation's own services on and off, within the frames of each kind."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinics.models import AppointmentLevel, Process, ServiceKind, ServiceProcess
from clinics.services import service_processes_set
from tests import factories as f
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def processes_state():
    return sorted(ServiceProcess.objects.values_list("service_id", "process", "appointment_level"))


def page(organisation):
    return reverse("clinics:clinic_services", args=[organisation.pk])


def form_data(service, *, on=(), level=AppointmentLevel.NONE):
    data = {"service_id": str(service.pk), f"s{service.pk}-appointment_level": level}
    data.update({f"s{service.pk}-p_{code}": "on" for code in on})
    return data


def enabled(service):
    return {sp.process: sp.appointment_level for sp in ServiceProcess.objects.filter(service=service)}


@pytest.fixture
def home_service(cast):
    """A municipal home service in the GP organisation (kinds are per service, frames per kind)."""
    return f.ServiceFactory(
        organisation=cast.gp_org,
        name="Hjemmetjenesten",
        kind=ServiceKind.HOME_SERVICE,
        processes={Process.EKONTAKT: None, Process.APPOINTMENTS: AppointmentLevel.VIEW},
    )


# --- who may open and use the page ------------------------------------------------------------------


REFUSED = [
    "anonymous",
    "citizen",
    "reception of the same organisation",
    "clinician of the same organisation",
    "admin of another organisation",
]


def _login(client, cast, who):
    user = {
        "anonymous": None,
        "citizen": cast.nora,
        "reception of the same organisation": cast.reception,
        "clinician of the same organisation": cast.kari,
        "admin of another organisation": cast.other_admin,
        "admin of the organisation": cast.clinic_admin,
    }[who]
    if user is not None:
        login_as(client, user)


@pytest.mark.parametrize("who", REFUSED)
@pytest.mark.parametrize("method", ["get", "post"])
def test_refused_users_cannot_see_or_change_the_services(client, cast, who, method):
    before = processes_state()
    _login(client, cast, who)
    # The POST would switch everything but e-kontakt off.
    response = getattr(client, method)(page(cast.gp_org), form_data(cast.gp_service, on=[Process.EKONTAKT]))
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == 404
    assert processes_state() == before


def test_admin_switches_processes_of_the_organisations_service(client, cast):
    _login(client, cast, "admin of the organisation")
    assert client.get(page(cast.gp_org)).status_code == 200

    response = client.post(
        page(cast.gp_org),
        form_data(cast.gp_service, on=[Process.EKONTAKT, Process.RENEWAL], level=AppointmentLevel.VIEW),
    )

    assert response.status_code == 302
    assert enabled(cast.gp_service) == {
        Process.EKONTAKT: AppointmentLevel.NONE,
        Process.RENEWAL: AppointmentLevel.NONE,
        Process.APPOINTMENTS: AppointmentLevel.VIEW,
    }
    # The page now shows the saved state.
    form_page = client.get(page(cast.gp_org)).content.decode()
    assert (
        f'name="s{cast.gp_service.pk}-p_{Process.RENEWAL}" id="id_s{cast.gp_service.pk}-p_{Process.RENEWAL}" checked'
        in form_page
    )


def test_admin_sees_only_the_own_organisations_services(client, cast):
    _login(client, cast, "admin of the organisation")
    text = client.get(page(cast.gp_org)).content.decode()
    assert cast.gp_service.name in text
    assert cast.other_service.name not in text and cast.other_org.name not in text


# --- frames, enforced on the server ------------------------------------------------------------------


def test_renewal_for_a_home_service_is_refused(client, cast, home_service):
    _login(client, cast, "admin of the organisation")
    before = processes_state()
    # The page never offers the box; this is a forged request.
    response = client.post(
        page(cast.gp_org), form_data(home_service, on=[Process.EKONTAKT, Process.RENEWAL], level=AppointmentLevel.VIEW)
    )
    assert response.status_code == 200
    assert "Kommunal hjemmetjeneste kan ikke tilby Fornye resept." in response.content.decode()
    assert processes_state() == before


def test_home_service_page_offers_neither_renewal_nor_booking(client, cast, home_service):
    _login(client, cast, "admin of the organisation")
    text = client.get(page(cast.gp_org)).content.decode()
    assert f"s{home_service.pk}-p_{Process.RENEWAL}" not in text
    assert f"s{cast.gp_service.pk}-p_{Process.RENEWAL}" in text
    assert '<option value="view_cancel"' in text and text.count('<option value="book"') == 1  # the GP's only


@pytest.mark.parametrize(
    "level,refused",
    [
        (AppointmentLevel.BOOK, True),
        (AppointmentLevel.VIEW_CANCEL, False),
    ],
)
def test_appointment_level_above_view_cancel_is_refused_for_a_home_service(client, cast, home_service, level, refused):
    _login(client, cast, "admin of the organisation")
    before = processes_state()
    response = client.post(page(cast.gp_org), form_data(home_service, on=[Process.EKONTAKT], level=level))
    if refused:
        assert response.status_code == 200
        assert "Kommunal hjemmetjeneste kan høyst tilby «Se og avbestille timer»." in response.content.decode()
        assert processes_state() == before
    else:
        assert response.status_code == 302
        assert enabled(home_service)[Process.APPOINTMENTS] == AppointmentLevel.VIEW_CANCEL


def test_forged_post_for_another_organisations_service_is_404(client, cast):
    _login(client, cast, "admin of the organisation")
    before = processes_state()
    response = client.post(page(cast.gp_org), form_data(cast.other_service, on=[Process.EKONTAKT]))
    assert response.status_code == 404
    assert processes_state() == before


def test_unknown_or_missing_service_id_is_404(client, cast):
    _login(client, cast, "admin of the organisation")
    before = processes_state()
    assert client.post(page(cast.gp_org), {"service_id": "abc"}).status_code == 404
    assert client.post(page(cast.gp_org), {}).status_code == 404
    assert processes_state() == before


@pytest.mark.parametrize(
    "kind,process,level",
    [
        (ServiceKind.HOME_SERVICE, Process.RENEWAL, None),
        (ServiceKind.HOME_SERVICE, Process.APPOINTMENTS, AppointmentLevel.BOOK),
        (ServiceKind.HOME_SERVICE, Process.EKONSULTASJON, None),
        (ServiceKind.SPECIALIST, Process.RENEWAL, None),
        (ServiceKind.GP, Process.DOCUMENTS, None),
        (ServiceKind.GP, Process.APPOINTMENTS, AppointmentLevel.NONE),
    ],
)
def test_service_layer_refuses_processes_outside_the_frame(kind, process, level):
    service = f.ServiceFactory(kind=kind, processes={Process.EKONTAKT: None})
    before = processes_state()
    with pytest.raises(ValidationError):
        service_processes_set(service=service, enabled={Process.EKONTAKT: None, process: level})
    assert processes_state() == before


def test_home_page_links_clinic_admins_to_their_services_page(client, cast):
    _login(client, cast, "admin of the organisation")
    assert page(cast.gp_org) in client.get(reverse("home")).content.decode()
    client.logout()
    _login(client, cast, "reception of the same organisation")
    assert page(cast.gp_org) not in client.get(reverse("home")).content.decode()
