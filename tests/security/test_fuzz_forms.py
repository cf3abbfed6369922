"""Fuzz pass over the form endpoints: hostile form data never gives a 500.

The forms are found, not listed: every page in the URLconf (admin excluded: see
test_fuzz_admin.py) whose ids the authorisation matrix's world can fill is fetched as each role
that works with forms, and each `<form method="post">` on it is collected with its action and
field names. Hypothesis then posts random data to each form as that logged-in role: long
strings, unicode, control characters, wrong types, huge numbers, missing fields, extra fields and
duplicated keys. The test client re-raises a view's exception, so a crash fails the test with the
shrunk example; any 5xx answer fails as well.
"""

import html
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security import authz_table as t
from tests.security.test_authz_matrix import client_as

# Roles whose forms are fuzzed: a citizen, one acting for a child, each staff role, a reviewer.
ROLES = ["citizen_a", "parent", "reception", "clinician", "clinic_admin", "reviewer"]
# Forms that end the session: fuzzing them would log the role out for the rest of the run.
SKIP_ACTIONS = ("/konto/logout/",)
# Bounded so the file runs in about a minute; the same examples every run (derandomised) so CI
# is repeatable. FUZZ_RANDOM=1 FUZZ_EXAMPLES=50 hunts further with fresh random data.
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_EXAMPLES", "12"))
DERANDOMIZE = not os.environ.get("FUZZ_RANDOM")

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)


@dataclass(frozen=True)
class Form:
    role: str
    page: str
    action: str
    fields: tuple  # (name, input type)


def forms_on(role: str, page: str, body: str):
    for attrs, inner in FORM.findall(body):
        attrs = dict(ATTR.findall(attrs))
        if attrs.get("method", "get").lower() != "post":
            continue
        action = html.unescape(attrs.get("action") or page)
        if not action.startswith("/") or action.startswith(SKIP_ACTIONS) or action.startswith("/drift/"):
            continue
        fields = []
        for tag, field_attrs in FIELD.findall(inner):
            field_attrs = dict(ATTR.findall(field_attrs))
            name = field_attrs.get("name")
            if name and name != "csrfmiddlewaretoken":
                fields.append((name, field_attrs.get("type", tag).lower()))
        yield Form(role=role, page=page, action=action, fields=tuple(sorted(set(fields))))


def pages(world):
    """Every page whose ids the world can fill (routes without ids need none); the admin excluded."""
    for key, route, _pattern in t.url_patterns():
        if route.startswith("drift/") or "logout" in key or "(?P<" in route:
            continue
        kwargs = world.kwargs.get(key, {})
        try:
            # The default argument binds this iteration's kwargs.
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, kwargs=kwargs: str(kwargs[m.group(1)]), route)  # type: ignore[misc]
        except KeyError:
            continue
        yield "/" + path


def forms_found(world) -> list[Form]:
    found: dict[Any, Any] = {}
    for role in ROLES:
        client = client_as(world, role)
        for path in pages(world):
            response = client.get(path)
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                for form in forms_on(role, path, response.content.decode()):
                    found.setdefault((form.role, form.action, form.fields), form)
    return list(found.values())


# --- hostile values ------------------------------------------------------------------------------

printable = st.characters(exclude_categories=["Cs"])  # lone surrogates cannot be sent as UTF-8
hostile_value = st.one_of(
    st.text(printable, max_size=40),
    st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=10),  # control characters, NUL included
    st.builds(lambda c, n: c * n, printable, st.integers(1_000, 70_000)),  # long strings
    st.integers(min_value=-(10**40), max_value=10**40).map(str),  # huge numbers
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "NaN",
            "inf",
            "None",
            "null",
            "true",
            "[]",
            "{}",
            "2026-02-30",
            "99999-12-31",
            "31.12.2026",
            "12:61",
            "25:00",
            "00000000000",
            "01010112345",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\u202eevil",
            "😀" * 50,
        ]
    ),
)
# A key posted twice or more (request.POST.getlist), or once.
posted_value = st.one_of(hostile_value, st.lists(hostile_value, min_size=2, max_size=3))


def payload_for(form: Form):
    named = {name: posted_value for name, kind in form.fields if kind != "file"}
    extra = st.dictionaries(
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12),
        posted_value,
        max_size=2,
    )
    files = {name: st.binary(max_size=2048) for name, kind in form.fields if kind == "file"}
    return st.tuples(st.fixed_dictionaries({}, optional=named), extra, st.fixed_dictionaries({}, optional=files))


def fuzz_one(client, form: Form) -> int:
    """Post hostile data to `form`; returns how many requests were made."""
    sent = []

    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    @given(payload_for(form))
    def post(payload):
        named, extra, files = payload
        data = {**extra, **named}
        for name, content in files.items():
            data[name] = SimpleUploadedFile("fil.pdf", content, content_type="application/pdf")
        response = client.post(form.action, data)
        sent.append(response.status_code)
        assert response.status_code < 500, f"{form.role} POST {form.action}: {response.status_code}"

    post()
    return len(sent)


def test_hostile_form_data_never_gives_a_500(world):
    forms = forms_found(world)
    # The discovery itself must find the forms, or the test would pass by fuzzing nothing.
    actions = {form.action for form in forms}
    for expected in ("/meldinger/", "/klinikk/", "/verktoy/", "/timer/", "/helsekontakter/", "/epj/timeboker/"):
        assert any(a.startswith(expected) for a in actions), f"no form found under {expected}"
    clients = {role: client_as(world, role) for role in ROLES}
    posts = 0
    for form in forms:
        started = time.monotonic()
        posts += fuzz_one(clients[form.role], form)
        if os.environ.get("FUZZ_TRACE"):
            print(f"{time.monotonic() - started:6.2f}s {form.role} {form.action} {[n for n, _k in form.fields]}")
    assert posts >= len(forms) * EXAMPLES_PER_FORM // 2, f"only {posts} requests for {len(forms)} forms"
