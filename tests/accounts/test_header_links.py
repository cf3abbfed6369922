"""The header's fixed links are reversed once per process (accounts.context_processors) and still right.

They must equal what `{% url %}` gave, mark the current page, and follow the script prefix a
deployment under a sub-path (SCRIPT_NAME) gives every request.
"""

import re

import pytest
from django.urls import reverse, set_script_prefix

from tests.conftest import login_as

pytestmark = pytest.mark.django_db

CITIZEN_MENU = [
    "home",
    "clinics:contact_list",
    "tools:mine",
    "notices",
    "notification_preferences",
    "tools:catalogue",
]


def _hrefs(response) -> list[str]:
    return re.findall(r'<a[^>]* href="([^"]+)"', response.content.decode())


def test_a_citizen_sees_every_menu_link_and_the_current_page_marked(cast, client):
    login_as(client, cast.nora)
    response = client.get(reverse("notices"))

    hrefs = _hrefs(response)
    for name in CITIZEN_MENU:
        assert reverse(name) in hrefs, name
    page = response.content.decode()
    assert f'<a href="{reverse("notices")}" aria-current="page">' in page
    # The settings page belongs to the notices' menu item.
    settings_page = client.get(reverse("notification_preferences")).content.decode()
    assert f'<a href="{reverse("notices")}" aria-current="true">' in settings_page
    assert f'<a href="{reverse("home")}" aria-current="page">' not in page
    assert f'action="{reverse("account_logout")}"' in page and f'action="{reverse("set_language")}"' in page


def test_anonymous_visitors_get_the_login_link(client):
    response = client.get(reverse("account_login"))

    assert reverse("account_login") in _hrefs(response)
    assert reverse("account_logout") not in response.content.decode()


def test_links_carry_the_script_prefix_of_each_request(cast, client):
    login_as(client, cast.nora)
    set_script_prefix("/portal/")  # what the WSGI handler does for SCRIPT_NAME=/portal (the test client does not)
    try:
        prefixed = _hrefs(client.get(reverse("home")))
    finally:
        set_script_prefix("/")
    plain = _hrefs(client.get(reverse("home")))

    assert "/portal/verktoy/" in prefixed and "/portal/helsekontakter/" in prefixed
    assert "/verktoy/" in plain and "/portal/verktoy/" not in plain
