"""Citizen signup through allauth: the national identity number must be valid, in the register and free."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.nin import nin_generate
from tests import factories as f

pytestmark = pytest.mark.django_db
PASSWORD = "Et-langt-passord-2026"


def signup(client, nin, email="ny@test.local"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "nin": nin,
        },
    )


def test_signup_links_the_new_user_to_the_person_in_the_register(client):
    person = f.PersonFactory(given_name="Sigrid", family_name="Solberg")
    response = signup(client, person.nin)
    assert response.status_code == 302
    user = User.objects.get(email="ny@test.local")
    assert user.person == person and user.is_citizen
    assert (user.first_name, user.last_name) == ("Sigrid", "Solberg")
    assert not user.staff_memberships.exists()


def _with_bad_check_digit(nin):
    return nin[:10] + str((int(nin[10]) + 1) % 10)


@pytest.mark.parametrize("case", ["bad check digit", "wrong length", "not in the register", "already has a user"])
def test_signup_is_refused_with_a_reason_and_creates_nobody(client, case):
    person = f.PersonFactory()
    if case == "bad check digit":
        nin, reason = _with_bad_check_digit(person.nin), "Kontrollsifrene"
    elif case == "wrong length":
        nin, reason = person.nin[:10], "11 siffer"
    elif case == "not in the register":
        nin, reason = nin_generate(datetime.date(1990, 2, 3), female=False, serial=3), "finnes ikke i folkeregisteret"
    else:
        f.CitizenFactory(person=person)
        nin, reason = person.nin, "finnes allerede en bruker"
    users_before = User.objects.count()
    response = signup(client, nin)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert User.objects.count() == users_before
    assert "_auth_user_id" not in client.session


def test_synthetic_numbers_only_when_the_setting_allows_them(client, settings):
    synthetic = f.PersonFactory()  # the factories make +80 (Tenor) synthetic numbers
    assert int(synthetic.nin[2:4]) > 80
    settings.HN_ALLOW_SYNTHETIC_NIN = False
    response = signup(client, synthetic.nin)
    assert response.status_code == 200 and "Syntetiske testnumre" in response.content.decode()
    assert not User.objects.filter(email="ny@test.local").exists()

    real = f.PersonFactory(
        nin=nin_generate(datetime.date(1980, 7, 1), female=True, synthetic=None), birth_date=datetime.date(1980, 7, 1)
    )
    response = signup(client, real.nin)
    assert response.status_code == 302
    assert User.objects.get(email="ny@test.local").person == real


def test_signup_accepts_a_d_number(client):
    born = datetime.date(1975, 11, 20)
    person = f.PersonFactory(nin=nin_generate(born, female=True, synthetic=None, d_number=True), birth_date=born)
    assert signup(client, person.nin).status_code == 302
    assert User.objects.get(email="ny@test.local").person == person
