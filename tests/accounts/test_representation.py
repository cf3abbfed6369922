"""Who may act for whom (domain brief §8.3), and powers of attorney granted online."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Person
from accounts.representation import (
    SESSION_KEY,
    acting_subject,
    representation_options,
    representatives_of,
)
from messaging.dialogs.models import PowerOfAttorney, ServiceArea
from messaging.dialogs.services import power_of_attorney_grant, power_of_attorney_revoke
from tests import factories as f


def patients(options):
    return [o.patient for o in options]


def test_parent_acts_for_child_under_12_at_the_same_address_not_for_a_14_year_old(cast):
    options = representation_options(actor=cast.nora.person)
    assert patients(options) == [cast.nora.person, cast.emma]
    assert options[1].relation == "parent" and options[1].may_use_dialogs


def test_no_parent_at_the_childs_address_means_no_access(cast):
    Person.objects.filter(pk=cast.emma.pk).update(address_code="ELSEWHERE")
    assert patients(representation_options(actor=cast.nora.person)) == [cast.nora.person]


def test_one_parent_at_the_address_is_enough_for_both(cast):
    Person.objects.filter(pk=cast.ole.person.pk).update(address_code="MOVED-OUT")
    assert cast.emma in patients(representation_options(actor=cast.ole.person))


@pytest.mark.parametrize("who", ["child", "parent"])
def test_confidential_addresses_cannot_represent_or_be_represented(cast, who):
    person = cast.emma if who == "child" else cast.nora.person
    Person.objects.filter(pk=person.pk).update(confidentiality=Person.Confidentiality.STRICTLY_CONFIDENTIAL)
    cast.nora.person.refresh_from_db()
    assert cast.emma not in patients(representation_options(actor=cast.nora.person))


def test_power_of_attorney_per_area_with_end_date(cast):
    nora, ulf = cast.nora.person, cast.ulf.person
    until = timezone.localdate() + datetime.timedelta(days=30)
    power_of_attorney_grant(grantor=nora, holder_nin=ulf.nin, areas=[ServiceArea.DIGITAL], valid_until=until)
    [_self, proxy] = representation_options(actor=ulf)
    assert proxy.patient == nora and proxy.relation == "proxy" and proxy.areas == {ServiceArea.DIGITAL}
    assert representatives_of(patient=nora) == [ulf]
    later = until + datetime.timedelta(days=1)
    assert patients(representation_options(actor=ulf, today=later)) == [ulf]


def test_insight_only_proxy_cannot_use_dialogs(cast):
    power_of_attorney_grant(grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.INSIGHT])
    proxy = representation_options(actor=cast.ulf.person)[1]
    assert not proxy.may_use_dialogs


@pytest.mark.parametrize("grantor_age, holder_age, ok", [(16, 18, True), (15, 40, False), (40, 17, False)])
def test_age_limits(db, grantor_age, holder_age, ok):
    grantor = f.PersonFactory(age=grantor_age)
    holder = f.PersonFactory(age=holder_age)
    if ok:
        power_of_attorney_grant(grantor=grantor, holder_nin=holder.nin, areas=[ServiceArea.DIGITAL])
        assert PowerOfAttorney.objects.count() == 1
    else:
        with pytest.raises(ValidationError):
            power_of_attorney_grant(grantor=grantor, holder_nin=holder.nin, areas=[ServiceArea.DIGITAL])
        assert PowerOfAttorney.objects.count() == 0


def test_grant_refuses_self_unknown_and_confidential(cast):
    nora = cast.nora.person
    for nin in (nora.nin, "01010112345"):
        with pytest.raises(ValidationError):
            power_of_attorney_grant(grantor=nora, holder_nin=nin, areas=[ServiceArea.DIGITAL])
    Person.objects.filter(pk=cast.ulf.person.pk).update(confidentiality=Person.Confidentiality.CONFIDENTIAL)
    with pytest.raises(ValidationError):
        power_of_attorney_grant(grantor=nora, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.DIGITAL])
    assert not PowerOfAttorney.objects.exists()


def test_revoked_proxy_falls_back_to_self_on_the_next_request(cast):
    [poa] = power_of_attorney_grant(
        grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.DIGITAL]
    )
    request = RequestFactory().get("/")
    request.user = cast.ulf
    request.session = {SESSION_KEY: cast.nora.person.pk}  # type: ignore[assignment]  # a dict as the session
    assert acting_subject(request).patient == cast.nora.person
    power_of_attorney_revoke(poa=poa)
    request = RequestFactory().get("/")
    request.user = cast.ulf
    request.session = {SESSION_KEY: cast.nora.person.pk}  # type: ignore[assignment]  # a dict as the session
    assert acting_subject(request).patient == cast.ulf.person
    assert SESSION_KEY not in request.session


def test_a_proxy_cannot_reach_the_grantors_children(cast):
    """Nora's proxy gets Nora, never Emma: access is not passed on."""
    power_of_attorney_grant(grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=list(ServiceArea.values))
    assert patients(representation_options(actor=cast.ulf.person)) == [cast.ulf.person, cast.nora.person]
