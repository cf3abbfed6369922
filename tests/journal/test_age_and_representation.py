"""The one journal access rule (journal.access.journal_access_allowed) and the pages built on it."""

import datetime

import pytest
from django.urls import reverse

from accounts.representation import SESSION_KEY
from journal.access import journal_access_allowed
from messaging.dialogs.models import PowerOfAttorney, ServiceArea
from tests import factories as f
from tests.conftest import login_as

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 1)


def person_aged(years, **kwargs):
    return f.PersonFactory(birth_date=datetime.date(TODAY.year - years, 1, 1), **kwargs)


@pytest.mark.parametrize(
    "age, parent_sees, own_sees",
    [
        (0, True, False),
        (8, True, False),
        (11, True, False),
        (12, False, False),
        (13, False, False),
        (15, False, False),
        (16, False, True),
        (17, False, True),
        (40, False, True),
    ],
)
def test_parents_under_12_nobody_12_to_15_only_the_person_from_16(age, parent_sees, own_sees):
    parent = person_aged(40, address_code="HJEM")
    child = person_aged(age, address_code="HJEM")
    f.parent_of(parent, child)
    assert journal_access_allowed(viewer=parent, subject=child, today=TODAY) is parent_sees
    assert journal_access_allowed(viewer=child, subject=child, today=TODAY) is own_sees


def test_parent_needs_a_parent_at_the_childs_address():
    parent = person_aged(40, address_code="A")
    child = person_aged(8, address_code="B")
    f.parent_of(parent, child)
    assert not journal_access_allowed(viewer=parent, subject=child, today=TODAY)
    other_parent = person_aged(41, address_code="B")
    f.parent_of(other_parent, child)
    assert journal_access_allowed(viewer=parent, subject=child, today=TODAY)  # one parent lives with the child


def test_confidential_address_blocks_representation():
    parent = person_aged(40, address_code="HJEM")
    child = person_aged(8, address_code="HJEM", confidentiality="7")
    f.parent_of(parent, child)
    assert not journal_access_allowed(viewer=parent, subject=child, today=TODAY)


def test_unrelated_adult_sees_nothing():
    assert not journal_access_allowed(viewer=person_aged(40), subject=person_aged(8), today=TODAY)
    assert not journal_access_allowed(viewer=person_aged(40), subject=person_aged(50), today=TODAY)


@pytest.mark.parametrize("area, sees", [(ServiceArea.INSIGHT, True), (ServiceArea.DIGITAL, False)])
def test_power_of_attorney_for_insight_gives_access(area, sees):
    grantor, holder = person_aged(70), person_aged(45)
    PowerOfAttorney.objects.create(grantor=grantor, holder=holder, area=area)
    assert journal_access_allowed(viewer=holder, subject=grantor, today=TODAY) is sees


def test_revoked_power_of_attorney_gives_nothing():
    grantor, holder = person_aged(70), person_aged(45)
    PowerOfAttorney.objects.create(
        grantor=grantor,
        holder=holder,
        area=ServiceArea.INSIGHT,
        revoked_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    assert not journal_access_allowed(viewer=holder, subject=grantor, today=TODAY)


# --- the pages follow the rule through the "acting for" switch ----------------------------


def act_for(client, person):
    session = client.session
    session[SESSION_KEY] = person.pk
    session.save()


def test_parent_acting_for_a_child_under_12_sees_the_childs_documents(client, cast):
    from journal.models import JournalDocument

    doc = JournalDocument.objects.create(
        person=cast.emma,
        organisation=cast.gp_org,
        service=cast.gp_service,
        source="pushed",
        title="Journalkopi Emma",
        filename="e.pdf",
        mime_type="application/pdf",
        size=5,
        data=b"%PDF-",
        msg_id="m-emma",
    )
    login_as(client, cast.nora)
    act_for(client, cast.emma)
    page = client.get(reverse("journal:documents")).content.decode()
    assert "Journalkopi Emma" in page
    assert client.get(reverse("journal:document_download", args=[doc.pk])).status_code == 200


def test_fourteen_year_old_sees_no_documents_and_parents_none_either(client, cast):
    from journal.models import JournalDocument

    doc = JournalDocument.objects.create(
        person=cast.jonas.person,
        organisation=cast.gp_org,
        service=cast.gp_service,
        source="pushed",
        title="Journalkopi Jonas",
        filename="j.pdf",
        mime_type="application/pdf",
        size=5,
        data=b"%PDF-",
        msg_id="m-jonas",
    )
    login_as(client, cast.jonas)
    page = client.get(reverse("journal:documents")).content.decode()
    assert "Journalkopi Jonas" not in page and "fra du er 16" in page
    assert client.get(reverse("journal:document_download", args=[doc.pk])).status_code == 404
    assert client.get(reverse("journal:copy_request_new")).status_code == 404
    login_as(client, cast.nora)
    act_for(client, cast.jonas.person)  # not an option for a 14-year-old: falls back to Nora herself
    assert "Journalkopi Jonas" not in client.get(reverse("journal:documents")).content.decode()
    assert client.get(reverse("journal:document_download", args=[doc.pk])).status_code == 404
