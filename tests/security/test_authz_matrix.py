"""The authorisation matrix: every URL pattern × every role, GET and POST.

One world of real objects (owned by citizen A / organisation A) is built once; each role then
requests every URL in the URLconf. The outcome must match the explicit table in
`tests/security/authz_table.py`; a URL pattern without a row fails. Refused POSTs must leave
every application table unchanged, object URLs answer a non-existent id exactly as they answer a
forbidden one, every write endpoint refuses a POST without a CSRF token, and a page a role may read
but not write through (`ROLE_REFUSED_POSTS`: reception answering an e-konsultasjon) answers its
POST with 403 and changes nothing.
"""

import os
import pprint
import re
from typing import Any

from django.apps import apps

from accounts.representation import SESSION_KEY
from tests.formclient import FormClient
from tests.security import authz_table as t
from tests.stores import stores_of

# Tables a refused request may legitimately touch: the session itself and the login-attempt log.
VOLATILE = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
# Written on every login, not by the request under test.
VOLATILE_FIELDS = {"last_login"}
# The admin URLs that take a write (its history, autocomplete and JavaScript pages are reads).
ADMIN_WRITES = re.compile(r"_(changelist|add|change|delete)$|password_change$|:logout$")
POST_DATA = {
    "text": "Skrevet av feil person",
    "subject": "x",
    "title": "x",
    "reason": "x",
    "note": "x",
    "assignee": "",
    "verdict": "approved",
    "dimension": "clinical",
    "substitute": "x",
    "starts": "2030-01-01",
    "ends": "2030-01-02",
    "patient_nin": "",
    "suitability_confirmed": "on",
    "slot": "x",
    "confirm": "on",
    "person_id": "",
    "video_service": "",
    "action": "revoke",
    "email_enabled": "on",
    "sms_enabled": "on",
}


def path_for(route: str, kwargs: dict) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


def outcome(response) -> str:
    if 200 <= response.status_code < 300:
        return "ok"
    if response.status_code in (301, 302):
        location = response["Location"]
        if "/2fa/totp/activate" in location:
            return "mfa"
        return "login" if "login" in location else "redirect"
    return str(response.status_code)


def snapshot() -> dict:
    """Every application row, field by field (a refused write must change none of them)."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in VOLATILE or model._meta.proxy or not model._meta.managed:
            continue
        fields = [fl.attname for fl in model._meta.concrete_fields if fl.attname not in VOLATILE_FIELDS]
        stores = stores_of(model)  # the relay's records: each side's store
        for store in stores:
            key = f"{label} ({store})" if len(stores) > 1 else label
            state[key] = sorted(map(repr, model._default_manager.using(store).values_list(*fields)))
    return state


def changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def client_as(world, role, **client_kwargs) -> FormClient:
    client = FormClient(**client_kwargs)
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    if role in world.acting_for:
        session = client.session
        session[SESSION_KEY] = world.acting_for[role]
        session.save()
    return client


def urls(world):
    """(key, path, path with a missing id or None) for every URL pattern."""
    for key, route, _pattern in t.url_patterns():
        if key.startswith("admin:"):
            kwargs = t.admin_kwargs(route, world)
            missing: Any = None
        else:
            kwargs = world.kwargs.get(key, {})
            missing = {k: t.MISSING if isinstance(v, int) else v for k, v in kwargs.items()}
            if "document_id" in missing and key == "records:patient_document":
                missing["document_id"] = "00000000-0000-4000-8000-000000000000"
            if "token" in missing:
                missing["token"] = "finnes-ikke"
            missing = path_for(route, missing) if missing != kwargs else None
        yield key, path_for(route, kwargs), missing


def missing_outcome(expected: str) -> str:
    """What a missing object must answer: what a forbidden one answers (404) once past login/MFA."""
    return expected if expected in {"login", "mfa", "405"} else "404"


def test_the_table_names_every_url_pattern_and_nothing_else():
    keys = {key for key, _route, _pattern in t.url_patterns()}
    missing, stale = sorted(keys - set(t.EXPECTED)), sorted(set(t.EXPECTED) - keys)
    assert not missing, f"URL patterns missing from tests/security/authz_table.py: {missing}"
    assert not stale, f"table rows for URL patterns that no longer exist: {stale}"
    post_only = {key for key, row in t.EXPECTED.items() if "405" in row.values() and not key.startswith("admin:")}
    assert set(t.POST_ALLOWED) == post_only


def test_every_url_every_role(world):
    """GET every URL as every role; object URLs also with an id that does not exist; refused POSTs change nothing."""
    observed: dict[Any, Any] = {}
    problems: list[str] = []
    for role in t.ROLES:
        client = client_as(world, role)
        refused_posts = []
        for key, path, missing in urls(world):
            expected = t.expected(key, role)
            got = observed.setdefault(key, {})[role] = outcome(client.get(path))
            if got != expected:
                problems.append(f"GET {key} ({path}) as {role}: expected {expected}, got {got}")
            if missing is not None:
                got = outcome(client.get(missing))
                if got != missing_outcome(expected):
                    problems.append(
                        f"GET {key} with a missing id as {role}: expected {missing_outcome(expected)}, got {got}"
                    )
            post_refused = (
                expected in t.REFUSED
                or (expected == "405" and role not in t.POST_ALLOWED.get(key, ()))
                or role in t.ROLE_REFUSED_POSTS.get(key, ())
            )
            admin_write = role != "operator" and ADMIN_WRITES.search(key)
            if post_refused and (not key.startswith("admin:") or admin_write):
                refused_posts.append((key, path))
                if missing is not None:
                    refused_posts.append((key + " (missing id)", missing))
        before = snapshot()
        for key, path in refused_posts:
            got = outcome(client.post(path, POST_DATA))
            if got not in t.REFUSED | {"405"}:  # 405: a read-only page, refused before any lookup
                problems.append(f"POST {key} ({path}) as {role}: expected a refusal, got {got}")
            elif role in t.ROLE_REFUSED_POSTS.get(key, ()) and not key.endswith("(missing id)") and got != "403":
                problems.append(f"POST {key} ({path}) as {role}: the role rule must answer 403, got {got}")
        if diff := changed(before, snapshot()):
            problems.append(f"refused POSTs as {role} changed {diff}")
    if os.environ.get("AUTHZ_DUMP"):
        with open(os.environ["AUTHZ_DUMP"], "w") as fh:
            fh.write(pprint.pformat(observed, width=200, sort_dicts=False))
    assert not problems, "\n".join(problems)


def test_post_without_csrf_token_is_refused_and_changes_nothing(world):
    """Every URL refuses a POST without a CSRF token (403) from a user allowed to use it."""
    clients, problems = {}, []
    before = snapshot()
    for key, path, _missing in urls(world):
        if key in t.CSRF_EXEMPT:
            continue
        row = t.EXPECTED[key]
        allowed = sorted(t.POST_ALLOWED.get(key, ()))
        role = allowed[0] if allowed else next((r for r in t.ROLES if row[r] == "ok"), "citizen_a")
        if role not in clients:
            clients[role] = client_as(world, role, enforce_csrf_checks=True)
        got = clients[role].post(path, POST_DATA).status_code
        if got != 403:
            problems.append(f"POST {key} ({path}) as {role} without a CSRF token: {got}")
    assert not problems, "\n".join(problems)
    assert not changed(before, snapshot())
