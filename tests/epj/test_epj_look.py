"""The record system has its own frame: a clinic page is never branded as the citizen portal.

Each EPJ area (desk, timebooks and calendar, records, and the clinic-side pages other apps own)
renders the EPJ's header, menu and stylesheet and none of the portal's; a portal page renders
the portal's and none of the EPJ's.
"""

import pytest
from django.urls import reverse

from tests.conftest import login_as

EPJ_BRAND = 'class="epj-header"'
EPJ_CSS = "css/epj.css"
PORTAL_BRAND = 'class="site-header"'
PORTAL_NAME = "Helsenorge-portal"


def _epj_pages(cast):
    org = cast.gp_org.pk
    return [
        ("reception", reverse("desk:cases", args=[org])),
        ("reception", reverse("epj_timebooks:list", args=[org])),
        ("reception", reverse("epj_timebooks:calendar_day", args=[org])),
        ("reception", reverse("records:copy_requests", args=[org])),
        ("kari", reverse("records:patients", args=[org])),
        ("kari", reverse("tools:sent", args=[org])),
        ("kari", reverse("tools:send", args=[org])),
        ("clinic_admin", reverse("clinics:clinic_services", args=[org])),
        ("clinic_admin", reverse("appointments:clinic_video", args=[org])),
    ]


@pytest.mark.django_db
def test_every_epj_area_has_the_epj_frame_and_not_the_portals(client, cast):
    for persona, url in _epj_pages(cast):
        client.logout()
        login_as(client, getattr(cast, persona))
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert EPJ_BRAND in html, url
        assert EPJ_CSS in html, url
        assert f"EPJ – {cast.gp_org.name}" in html, url
        assert PORTAL_BRAND not in html, url
        # Page text may mention the portal (where a patient reads a message); the frame never names it.
        head = html[: html.index("</head>")]
        header = html[html.index(EPJ_BRAND) : html.index("</header>")]
        assert PORTAL_NAME not in head and PORTAL_NAME not in header, url
        assert 'class="brand"' not in html, url
        # The citizen menu's links (health contacts, my tools, notices) are the portal's, never the EPJ's.
        for citizen_link in (reverse("clinics:contact_list"), reverse("tools:mine")):
            assert f'href="{citizen_link}"' not in html, url
        assert 'id="main"' in html and "<main" in html, url
        assert 'class="skip-link" href="#main"' in html, url


@pytest.mark.django_db
def test_the_epj_header_names_the_staff_member_and_role(client, cast):
    login_as(client, cast.kari)
    html = client.get(reverse("desk:cases", args=[cast.gp_org.pk])).content.decode()
    header = html[html.index(EPJ_BRAND) : html.index("</header>")]
    assert cast.kari.display_name in header
    assert cast.kari.staff_memberships.get().get_role_display() in header
    assert reverse("account_logout") in header
    # Role-bound menu entries: a clinician sees patients and tools, not the admin's settings.
    assert reverse("records:patients", args=[cast.gp_org.pk]) in header
    assert reverse("clinics:clinic_services", args=[cast.gp_org.pk]) not in header


@pytest.mark.django_db
def test_the_epj_menu_shows_clinic_settings_only_to_the_admin(client, cast):
    org = cast.gp_org.pk
    login_as(client, cast.clinic_admin)
    html = client.get(reverse("desk:cases", args=[org])).content.decode()
    header = html[html.index(EPJ_BRAND) : html.index("</header>")]
    assert reverse("clinics:clinic_services", args=[org]) in header
    assert reverse("appointments:clinic_video", args=[org]) in header
    assert reverse("records:patients", args=[org]) not in header
    assert reverse("tools:sent", args=[org]) not in header


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["nora", "kari"])
def test_a_portal_page_has_the_portal_frame_and_not_the_epjs(client, cast, persona):
    login_as(client, getattr(cast, persona))
    html = client.get(reverse("home")).content.decode()
    assert PORTAL_BRAND in html
    assert PORTAL_NAME in html
    assert EPJ_BRAND not in html
    assert EPJ_CSS not in html
    if persona == "nora":
        assert f'href="{reverse("clinics:contact_list")}"' in html
