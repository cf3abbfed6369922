"""The portal's own error pages: the right status, the portal's look, no debug text, both languages.

The test settings run with debug off, as the demo and production do, so these are the pages a
person actually sees.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from messaging.dialogs.models import ServiceArea
from messaging.dialogs.services import power_of_attorney_grant
from tests.conftest import login_as
from tests.formclient import FormClient

pytestmark = pytest.mark.django_db
DEBUG_TEXT = ("Traceback", "URLconf", "Using the URLconf", "DEBUG = True", "technical_404", "Request Method")


def assert_portal_page(response, status, heading):
    body = response.content.decode() if hasattr(response, "content") else response
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in body and 'class="site-header"' in body, body[:2000]
    for text in DEBUG_TEXT:
        assert text not in body, text


def _request(path="/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    return request


def test_a_missing_page_answers_the_portals_404(client):
    assert_portal_page(client.get("/finnes-ikke/"), 404, "Fant ikke siden")


def test_the_404_page_is_english_for_english_readers(client):
    response = client.get("/finnes-ikke/", HTTP_ACCEPT_LANGUAGE="en")
    assert_portal_page(response, 404, "Page not found")


def test_a_refused_page_answers_the_portals_403():
    with translation.override("nb"):
        response = defaults.permission_denied(_request(), PermissionDenied())
    assert_portal_page(response, 403, "Ingen tilgang")


def test_a_bad_request_answers_the_portals_400(client):
    # A Host header the portal does not serve is refused by Django with the 400 handler.
    response = client.get("/", HTTP_HOST="angriper.example")
    assert_portal_page(response, 400, "Ugyldig forespørsel")


def test_a_form_without_its_csrf_token_answers_the_portals_403(cast):
    client = login_as(FormClient(enforce_csrf_checks=True), cast.nora)
    response = client.post(reverse("dialogs:proxies"), {"holder_nin": cast.ulf.person.nin})
    assert_portal_page(response, 403, "Skjemaet er utløpt")


def test_a_server_error_answers_the_portals_500():
    with translation.override("nb"):
        response = defaults.server_error(_request())
    body = response.content.decode()
    assert response.status_code == 500 and "<h1>Noe gikk galt</h1>" in body
    assert not any(text in body for text in DEBUG_TEXT)


@pytest.fixture
def ulf_for_nora_insight_only(client, cast):
    """Ulf holds Nora's power of attorney for insight only (not digital health services) and acts for her."""
    power_of_attorney_grant(grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.INSIGHT])
    login_as(client, cast.ulf)
    client.post(reverse("dialogs:acting_for"), {"person": cast.nora.person.pk})
    return client


def test_a_proxy_without_digital_services_sees_no_messages_or_appointments_in_the_menu(ulf_for_nora_insight_only, cast):
    body = ulf_for_nora_insight_only.get(reverse("home")).content.decode()
    assert f"Du handler på vegne av {cast.nora.person.full_name}." in body
    assert "Fullmakten gjelder ikke digitale helsetjenester, så meldinger og timeavtaler vises ikke." in body
    assert f'href="{reverse("dialogs:inbox")}"' not in body
    assert f'href="{reverse("appointments:list")}"' not in body


@pytest.mark.parametrize("url_name", ["dialogs:inbox", "appointments:list"])
def test_a_proxy_without_digital_services_gets_the_portals_404_for_them(ulf_for_nora_insight_only, url_name):
    assert_portal_page(ulf_for_nora_insight_only.get(reverse(url_name)), 404, "Fant ikke siden")


def test_acting_for_oneself_keeps_messages_and_appointments_in_the_menu(client, cast):
    body = login_as(client, cast.nora).get(reverse("home")).content.decode()
    assert f'href="{reverse("dialogs:inbox")}"' in body and f'href="{reverse("appointments:list")}"' in body
    assert "Fullmakten gjelder ikke digitale helsetjenester" not in body
