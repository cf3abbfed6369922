"""The access log: written through national.services.access_log_write, read by the citizen. That it is never changed or deleted
(append-only, for this log and the staff audit trail alike) is tests/security/test_append_only.py."""

import pytest
from django.urls import reverse

from national.models import AccessLogEntry
from national.services import access_log_write
from tests.conftest import login_as
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def write(cast, **overrides):
    args = dict(
        actor=cast.kari,
        organisation=cast.gp_org,
        role="clinician",
        person_nin=cast.nora.person.nin,
        what=AccessLogEntry.What.MESSAGES,
        object_ref="Melding om resept",
    )
    args.update(overrides)
    return access_log_write(**args)


def test_write_records_who_where_role_what_and_when(cast):
    entry = write(cast)
    assert (entry.actor_name, entry.organisation_name, entry.role, entry.what) == (
        str(cast.kari),
        cast.gp_org.name,
        "clinician",
        "messages",
    )
    assert entry.created_at is not None


def test_write_refuses_a_reader_without_an_identity_and_unknown_kinds(cast):
    # Whether the reader works there is the reporting system's to check (its own staff register);
    # the service names the reader to the citizen by the identity HelseID vouched for.
    with pytest.raises(ValueError, match="no identity number"):
        write(cast, actor=UserFactory())
    with pytest.raises(ValueError):
        write(cast, what="everything")
    assert not AccessLogEntry.objects.exists()


def test_citizen_reads_her_log_paged_and_sees_no_one_elses(client, cast):
    for i in range(23):
        write(cast, object_ref=f"oppslag {i}")
    write(cast, person_nin=cast.ulf.person.nin, object_ref="Ulfs sak")
    login_as(client, cast.nora)
    first = client.get(reverse("journal:access_log")).content.decode()
    assert "Hvem har sett opplysningene mine" in first and "Side 1 av 2" in first
    assert "Bakkehuset legekontor" in first and "Ulfs sak" not in first
    second = client.get(reverse("journal:access_log"), {"side": 2}).content.decode()
    assert "oppslag 0" in second


def test_empty_log_says_so(client, cast):
    login_as(client, cast.nora)
    assert "Ingen helsepersonell har åpnet" in client.get(reverse("journal:access_log")).content.decode()
