"""Out-of-range page numbers and ids answer 400 or 404 (or the page), never a 500.

The pages are found, not listed: every GET route in the URLconf (admin excluded: the Django admin
has its own fuzz pass) whose ids the authorisation matrix's world can fill is fetched as a citizen,
each staff role and a catalogue reviewer with hostile values in every page parameter the portal
uses, and every route with an id in its path is fetched with a 40-digit id in each position.
"""

import re

from tests.security import authz_table as t
from tests.security.test_authz_matrix import client_as

ROLES = ["citizen_a", "parent", "reception", "clinician", "clinic_admin", "reviewer"]
FORTY_DIGITS = "1" * 40
HOSTILE_PAGES = ["-1", "0", "abc", "1e9", FORTY_DIGITS, "9" * 19]
# Every query parameter the portal reads a page number from.
PAGE_PARAMS = ["side", "tidligere", "uke"]
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes(world):
    """(key, route, kwargs) for the portal's own GET routes whose ids the world fills."""
    for key, route, _pattern in t.url_patterns():
        if route.startswith(("drift/", "bench/")) or "logout" in key or "(?P<" in route:
            continue
        if "405" in t.EXPECTED.get(key, {}).values():  # POST-only: the form fuzz pass covers them
            continue
        kwargs = world.kwargs.get(key, {})
        if all(name in kwargs for _conv, name in PARAM.findall(route)):
            yield key, route, kwargs


def fill(route: str, kwargs: dict) -> str:
    return "/" + PARAM.sub(lambda m: str(kwargs[m.group(2)]), route)


def failures(client, role, path) -> list[str]:
    response = client.get(path)
    return [f"GET {path} as {role}: {response.status_code}"] if response.status_code >= 500 else []


def test_hostile_page_numbers_never_give_a_500(world):
    problems, fetched = [], 0
    for role in ROLES:
        client = client_as(world, role, raise_request_exception=False)
        for _key, route, kwargs in routes(world):
            base = fill(route, kwargs)
            if client.get(base).status_code != 200:
                continue  # a page the role cannot see answers the same whatever its page number
            for param in PAGE_PARAMS:
                for value in HOSTILE_PAGES:
                    problems += failures(client, role, f"{base}?{param}={value}")
                    fetched += 1
    assert fetched > 500, f"only {fetched} requests: the discovery found too few pages"
    assert not problems, "\n".join(problems)


def test_forty_digit_ids_in_paths_never_give_a_500(world):
    problems, fetched = [], 0
    for role in ["anonymous", *ROLES]:
        client = client_as(world, role, raise_request_exception=False)
        for _key, route, kwargs in routes(world):
            for converter, name in PARAM.findall(route):
                if converter not in ("id", "int", ""):
                    continue
                problems += failures(client, role, fill(route, {**kwargs, name: FORTY_DIGITS}))
                fetched += 1
    assert fetched > 100, f"only {fetched} requests: the discovery found too few routes with ids"
    assert not problems, "\n".join(problems)


def test_every_id_in_a_path_is_bounded():
    """Ids use the `id` converter (1–18 digits), so a longer one is a 404 before any view runs."""
    unbounded = [route for _key, route, _pattern in t.url_patterns() if "<int:" in route]
    assert not unbounded, f"use <id:…> instead of <int:…>: {unbounded}"
