"""The population register only holds valid national identity numbers that match the birth date."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Person
from accounts.nin import nin_generate

pytestmark = pytest.mark.django_db
BORN = datetime.date(1990, 6, 15)


def person(nin, birth_date=BORN):
    return Person(nin=nin, given_name="Test", family_name="Person", birth_date=birth_date)


def test_valid_number_matching_the_birth_date_is_accepted():
    person(nin_generate(BORN, female=True, synthetic=None)).full_clean()


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda nin: nin[:10] + str((int(nin[10]) + 1) % 10), "nin"),  # check digit
        (lambda nin: nin[:9], "nin"),  # length
    ],
)
def test_bad_numbers_are_refused(mutate, field):
    with pytest.raises(ValidationError) as exc:
        person(mutate(nin_generate(BORN, female=True, synthetic=None))).full_clean()
    assert field in exc.value.message_dict


def test_birth_date_must_match_the_number():
    with pytest.raises(ValidationError) as exc:
        person(nin_generate(BORN, female=True, synthetic=None), birth_date=datetime.date(1990, 6, 16)).full_clean()
    assert "birth_date" in exc.value.message_dict


def test_synthetic_numbers_follow_the_setting(settings):
    nin = nin_generate(BORN, female=False)  # +80 on the month (Tenor)
    settings.HN_ALLOW_SYNTHETIC_NIN = True
    person(nin).full_clean()
    settings.HN_ALLOW_SYNTHETIC_NIN = False
    with pytest.raises(ValidationError):
        person(nin).full_clean()
