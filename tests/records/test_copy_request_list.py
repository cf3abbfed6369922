"""The desk's list of copy requests: the status filter is a labelled select that shows the choice."""

import re

import pytest
from django.urls import reverse

from epj.records.models import CopyRequest
from journal.services import journal_copy_request
from tests.conftest import login_as
from tests.journal.conftest import deliver_all, in_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_request(gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    return CopyRequest.objects.get()


def _selected(html):
    select = re.search(r'<select name="status" id="id_status">(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


@pytest.mark.parametrize(
    ("query", "selected", "listed"),
    [({}, "open", True), ({"status": "fulfilled"}, "fulfilled", False), ({"status": "alle"}, "alle", True)],
)
def test_status_filter(client, gp_record, open_request, query, selected, listed):
    cast = gp_record
    login_as(client, cast.reception)
    html = client.get(reverse("records:copy_requests", args=[cast.gp_org.pk]), query).content.decode()
    assert '<label for="id_status">Status</label>' in html
    assert _selected(html) == [selected]
    assert (cast.nora.person.full_name in html) is listed
