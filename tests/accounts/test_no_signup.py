"""Nobody creates a citizen account by typing an identity number: no route does it, and the
password form lets only operators in."""

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from tests import factories as f

pytestmark = pytest.mark.django_db


def _plain_paths(resolver=None, prefix=""):
    """Every URL pattern without parameters, as a path."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if any(ch in route for ch in "<(^$?*+["):
            continue
        if isinstance(pattern, URLResolver):
            yield from _plain_paths(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield "/" + prefix + route


@pytest.mark.parametrize("name", ["account_signup", "socialaccount_signup", "account_reset_password", "account_email"])
def test_the_signup_and_self_service_routes_are_gone(client, name):
    with pytest.raises(NoReverseMatch):
        reverse(name)


def test_the_old_signup_address_answers_not_found(client):
    assert client.get("/konto/signup/").status_code == 404
    assert client.post("/konto/signup/", {"nin": f.PersonFactory().nin}).status_code == 404


def test_no_route_creates_a_user_from_a_typed_number(client):
    person = f.PersonFactory()
    paths = sorted(set(_plain_paths()))
    assert "/konto/login/" in paths  # the walk does reach the account routes
    before = User.objects.count()
    form = {
        "nin": person.nin,
        "pid": person.nin,
        "email": "angriper@test.local",
        "login": "angriper@test.local",
        "password": "Et-langt-passord-2026",
        "password1": "Et-langt-passord-2026",
        "password2": "Et-langt-passord-2026",
    }
    for path in paths:
        client.post(path, form)
    assert User.objects.count() == before
    assert not User.objects.filter(person=person).exists()


def test_a_citizen_with_a_password_from_before_cannot_use_it(client, cast):
    response = client.post("/konto/login/", {"login": cast.nora.email, "password": f.PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
