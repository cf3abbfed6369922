"""A power of attorney is withdrawn in one action, for all its service areas, after a confirmation page."""

import pytest
from django.urls import reverse

from messaging.dialogs.models import PowerOfAttorney, ServiceArea
from messaging.dialogs.services import power_of_attorney_grant
from tests.conftest import login_as
from tests.dialogs.conftest import PERSONAS, client_for, refused

BOTH = [ServiceArea.INSIGHT, ServiceArea.DIGITAL]


@pytest.fixture
def poas(clinic_data):
    return power_of_attorney_grant(grantor=clinic_data.nora.person, holder_nin=clinic_data.ole.person.nin, areas=BOTH)


def _live():
    return PowerOfAttorney.objects.filter(revoked_at__isnull=True).count()


def _as(client, cast, who):
    return login_as(client, cast.nora) if who == "right_user" else client_for(client, cast, who)


def test_the_proxies_page_shows_one_row_and_one_button_per_power_of_attorney(client, clinic_data, poas):
    page = login_as(client, clinic_data.nora).get(reverse("dialogs:proxies")).content.decode()
    assert sum(page.count(reverse("dialogs:proxy_revoke", args=[p.pk])) for p in poas) == 1
    for area in BOTH:
        assert str(area.label) in page


@pytest.mark.parametrize("who", PERSONAS)
def test_the_confirmation_page_changes_nothing_and_only_the_parties_see_it(client, clinic_data, poas, who):
    response = _as(client, clinic_data, who).get(reverse("dialogs:proxy_revoke", args=[poas[0].pk]))
    assert _live() == 2
    if who == "right_user":
        page = response.content.decode()
        assert response.status_code == 200
        assert "Trekke tilbake fullmakten til" in page and clinic_data.ole.person.full_name in page
        assert all(str(area.label) in page for area in BOTH)
        assert 'method="post"' in page and "Avbryt" in page
    else:
        assert refused(response, who)
        assert clinic_data.ole.person.full_name not in response.content.decode()


@pytest.mark.parametrize("who", PERSONAS)
def test_confirming_withdraws_every_area_at_once(client, clinic_data, poas, who):
    response = _as(client, clinic_data, who).post(reverse("dialogs:proxy_revoke", args=[poas[-1].pk]))
    if who == "right_user":
        assert response.status_code == 302 and response["Location"] == reverse("dialogs:proxies")
        assert _live() == 0
    else:
        assert refused(response, who)
        assert _live() == 2


def test_the_holder_may_step_down_from_all_areas_in_one_action(client, clinic_data, poas):
    login_as(client, clinic_data.ole)
    page = client.get(reverse("dialogs:proxy_revoke", args=[poas[0].pk])).content.decode()
    assert "Si fra deg fullmakten fra" in page
    client.post(reverse("dialogs:proxy_revoke", args=[poas[0].pk]))
    assert _live() == 0


def test_other_powers_of_attorney_are_left_alone(client, clinic_data, poas):
    [other] = power_of_attorney_grant(
        grantor=clinic_data.ulf.person, holder_nin=clinic_data.ole.person.nin, areas=[ServiceArea.DIGITAL]
    )
    login_as(client, clinic_data.nora).post(reverse("dialogs:proxy_revoke", args=[poas[0].pk]))
    other.refresh_from_db()
    assert other.revoked_at is None and _live() == 1


def test_an_already_withdrawn_power_of_attorney_says_so(client, clinic_data, poas):
    login_as(client, clinic_data.nora)
    client.post(reverse("dialogs:proxy_revoke", args=[poas[0].pk]))
    response = client.get(reverse("dialogs:proxy_revoke", args=[poas[0].pk]), follow=True)
    assert "allerede trukket tilbake" in response.content.decode()
