"""The admin's delete page lists the EPJ's rows a delete takes with it, without joining them to
the register or the user table (helsenorge/admin_stores.py; the suite's statement check,
helsenorge/storeboundary.py, fails any statement that would)."""

import datetime

from django.urls import reverse

from epj.desk.models import AbsenceNotice
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as


def _operator(client):
    return login_as(client, f.UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET))


def _notice(cast, service=None) -> AbsenceNotice:
    today = datetime.date.today()
    return AbsenceNotice.objects.create(
        service=service or cast.gp_service,
        text="Ferie",
        substitute="Dr. Vikar",
        starts=today,
        ends=today,
        created_by=cast.kari,
    )


def test_deleting_a_service_lists_the_epj_rows_it_takes(client, cast):
    service = f.ServiceFactory(organisation=cast.gp_org)
    notice = _notice(cast, service)
    page = _operator(client).get(reverse("admin:clinics_service_delete", args=[service.pk]))
    assert page.status_code == 200
    assert reverse("admin:epj_desk_absencenotice_change", args=[notice.pk]) in page.content.decode()
    assert AbsenceNotice.objects.filter(pk=notice.pk).exists()
    protected = _operator(client).get(reverse("admin:clinics_service_delete", args=[cast.gp_service.pk]))
    assert "Pasientforhold (EPJ)" in protected.content.decode()  # the EPJ's patient list protects it


def test_deleting_a_staff_user_asks_without_joining_the_epjs_rows(client, cast):
    notice = _notice(cast)
    page = _operator(client).get(reverse("admin:accounts_user_delete", args=[cast.kari.pk]))
    assert page.status_code == 200 and cast.kari.email in page.content.decode()
    notice.refresh_from_db()
    assert notice.created_by_id == cast.kari.pk
