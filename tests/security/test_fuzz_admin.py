"""Fuzz pass over the Django admin's add and change forms of the project's own models.

The operator (a superuser with TOTP) opens every add page and the change page of a real row (the
authorisation matrix's world has one of every model the admin lists), reads the form as a browser
would submit it — each field's current value, inline formsets and their management form included —
and Hypothesis then posts it with a few fields replaced by hostile values (the same ones the form
fuzz uses), some fields left out and unknown ones added. No answer may be a 5xx (the test client
re-raises a view's exception, so a crash fails with the shrunk example), and a post the admin
refuses (anything but its redirect after saving) must leave every application row as it was.
The 500s found and not yet fixed are in KNOWN_500, each asserted to still crash.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from django.conf import settings as django_settings
from django.contrib import admin
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_authz_matrix import changed, client_as, snapshot
from tests.security.test_fuzz_forms import DERANDOMIZE, posted_value

# Few examples per form (the first is the form as it stands, the rest mutate it), so the pass stays quick.
# FUZZ_RANDOM=1 FUZZ_ADMIN_EXAMPLES=25 hunts further with fresh random data.
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_ADMIN_EXAMPLES", "6"))


@dataclass(frozen=True)
class Known500:
    """A 500 the fuzz found, reported but not fixed here (the file is not this suite's)."""

    repro: Callable  # the form's current fields -> the changes that crash it
    error: str  # the exception's class name
    fuzz: bool  # False when every post crashes, so fuzzing the form could find nothing else


# Each is asserted to still crash, so a fix makes this test fail until its entry is removed.
KNOWN_500: dict = {
    # Found by this test and fixed: CaseAdmin allowed add with every field read-only
    # (IntegrityError); ServiceProcess.clean() choked on an extra process row left blank (ValueError).
}
# Buttons and the CSRF token are not data; "_save" is always sent, as the browser does.
NOT_DATA = {"csrfmiddlewaretoken", "_save", "_continue", "_addanother"}


def own_model_admins():
    """(model, model admin) for the project's own models: Django's and third-party apps' excluded."""
    for model, model_admin in admin.site._registry.items():
        path = model._meta.app_config.path
        if path.startswith(str(django_settings.BASE_DIR)) and "site-packages" not in path:
            yield model, model_admin


class AdminFormReader(HTMLParser):
    """The admin form's fields as a browser would submit them (name -> list of values)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self.kinds: dict[str, str] = {}
        self._in_form = False
        self._select = self._textarea = None

    def _add(self, name, value, kind):
        self.kinds.setdefault(name, kind)
        self.fields.setdefault(name, [])
        if value is not None:
            self.fields[name].append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or tag not in {"input", "select", "option", "textarea"}:
            return
        name = attrs.get("name")
        if tag == "input" and name and name not in NOT_DATA:
            kind = attrs.get("type", "text").lower()
            if kind in {"checkbox", "radio"}:
                self._add(name, attrs.get("value", "on") if "checked" in attrs else None, kind)
            elif kind not in {"submit", "button", "file"}:
                self._add(name, attrs.get("value", ""), kind)
        elif tag == "select" and name:
            self._select = name
            self._add(name, None, "select")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "", "textarea")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass(frozen=True)
class AdminForm:
    name: str  # the admin URL name, "admin:<app>_<model>_add" or "_change"
    url: str
    fields: dict  # name -> list of current values

    def payload(self):
        """The form as it stands, then some fields replaced with hostile values, some dropped, some added."""
        names = sorted(self.fields)
        replaced = st.dictionaries(st.sampled_from(names), posted_value, max_size=3) if names else st.just({})
        dropped = st.sets(st.sampled_from(names), max_size=2) if names else st.just(set())
        extra = st.dictionaries(
            st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12),
            posted_value,
            max_size=1,
        )
        return st.tuples(replaced, dropped, extra)


def admin_forms(client, world) -> list[AdminForm]:
    """Every add page the admin offers and the change page of a real row, for the project's models."""
    found = []
    for model, _model_admin in own_model_admins():
        info = model._meta.app_label, model._meta.model_name
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"the world has no {model._meta.label} row"
        for name, args in (("admin:{}_{}_add".format(*info), []), ("admin:{}_{}_change".format(*info), [row.pk])):
            url = reverse(name, args=args)
            response = client.get(url)
            assert response.status_code in (200, 403), f"GET {url}: {response.status_code}"
            reader = AdminFormReader()
            reader.feed(response.content.decode())
            # A read-only admin (logs) still gets posted to: its refusal must change nothing too.
            found.append(AdminForm(name=name, url=url, fields=reader.fields))
    return found


def fuzz_one(client, form: AdminForm, outcomes: list):
    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    @given(form.payload())
    def post(payload):
        replaced, dropped, extra = payload
        data = {
            **extra,
            **{name: values for name, values in form.fields.items() if name not in dropped},
            **replaced,
            "_save": "Lagre",
        }
        before = snapshot()
        response = client.post(form.url, data)
        outcomes.append(response.status_code)
        assert response.status_code < 500, f"POST {form.url}: {response.status_code}"
        if response.status_code != 302:  # refused: the form again with errors, or 403 for a read-only admin
            assert not changed(before, snapshot()), f"refused POST {form.url} ({response.status_code}) changed rows"

    post()


def known_500_still_fails(client, form: AdminForm) -> list[str]:
    known = KNOWN_500[form.name]
    try:
        client.post(form.url, {**form.fields, **known.repro(form.fields), "_save": "Lagre"})
    except Exception as exc:
        if type(exc).__name__ == known.error:
            return []
        raise
    return [f"{form.name} no longer fails: remove it from KNOWN_500"]


def test_hostile_admin_form_data_never_gives_a_500(world):
    client = client_as(world, "operator")
    forms = admin_forms(client, world)
    labels = {model._meta.label for model, _admin in own_model_admins()}
    # Discovery must reach the project's models, or the test would pass by fuzzing nothing.
    assert {"accounts.User", "clinics.Service", "epj_desk.Case", "national.AccessLogEntry"} <= labels
    assert sum(1 for form in forms if form.fields) >= len(labels), "too few forms with fields were read"
    outcomes: list[Any] = []
    failures: list[str] = []
    for form in forms:
        started = time.monotonic()
        if form.name in KNOWN_500:
            failures.extend(known_500_still_fails(client, form))
        if form.name not in KNOWN_500 or KNOWN_500[form.name].fuzz:
            try:
                fuzz_one(client, form, outcomes)
            except Exception as exc:  # every form is fuzzed; all failures are reported together
                notes = "\n    ".join(getattr(exc, "__notes__", []))
                failures.append(f"{form.url}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}\n    {notes}")
        if os.environ.get("FUZZ_TRACE"):
            print(f"{time.monotonic() - started:6.2f}s {form.url} {sorted(form.fields)}")
    assert not failures, "\n".join(failures)
    assert set(KNOWN_500) <= {form.name for form in forms}, "a KNOWN_500 entry names no form"
    fuzzed = len(forms) - sum(not known.fuzz for known in KNOWN_500.values())
    assert len(outcomes) >= fuzzed * min(EXAMPLES_PER_FORM, 2), f"only {len(outcomes)} posts for {fuzzed} forms"
    # Both sides were reached: the admin refused hostile posts and saved plain ones.
    assert 302 in outcomes and 200 in outcomes and 403 in outcomes
