"""Locust scenarios for the citizen portal (driven by `manage.py bench web`, docs/benchmarks.md).

Users come from the JSON file named by HN_LOAD_USERS (written by the bench): each entry has a
citizen's e-mail and password, a ready session cookie, their GP contact and service, and
thread ids. Every request is also appended to HN_LOAD_LOG as
`start,name,ms,status,retry_after,failed` so the bench can compute windows (spike recovery) itself.

User classes (pick one per run on the command line):
- MinimalViewUser: the one-row yardstick view, no think time (capacity).
- InboxUser: the inbox page, no think time (capacity).
- CitizenUser: the scenario: read the inbox, open threads, book an appointment, send an
  e-kontakt, with think time. Logged in by session cookie (logins are measured apart).
- LoginUser: the operators' password form itself (password hashing), no think time.

A 503 with Retry-After is honoured: the user waits that long, as a browser would.
With HN_LOAD_SPIKE set, a load shape runs base users, then 10× for the spike, then base again.
"""

import itertools
import json
import os
import re
import threading
import time
import uuid
from pathlib import Path

import gevent
from locust import HttpUser, LoadTestShape, between, constant, events, task

USERS = json.loads(Path(os.environ["HN_LOAD_USERS"]).read_text()) if os.environ.get("HN_LOAD_USERS") else []
_next_user = itertools.count()
TIMEOUT = 30  # seconds; a request slower than this counts as a timeout (status 0)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Every state-changing portal form carries a one-time key (submissions/); a post without it is refused.
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
SLOT = re.compile(r'href="([^"]*/bestill/\d+/bekreft/\?valg=[^"]+)"')
TIMEBOOK = re.compile(r'href="(\?timebok=[^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="(choice|request_id|submission_key)" value="([^"]*)"')

_log_lock = threading.Lock()
# Kept open for the whole run (line-buffered); the process exit closes it.
_log = open(os.environ["HN_LOAD_LOG"], "a", buffering=1) if os.environ.get("HN_LOAD_LOG") else None  # noqa: SIM115


@events.request.add_listener
def _record(
    request_type, name, response_time, response_length, response=None, exception=None, start_time=None, **kwargs
):
    if _log is None:
        return
    status = getattr(response, "status_code", 0) or 0  # 0: no answer (timeout, connection refused)
    retry_after = response.headers.get("Retry-After", "") if status else ""
    failed = int(exception is not None)
    with _log_lock:
        _log.write(f"{start_time or time.time():.3f},{name},{response_time:.1f},{status},{retry_after},{failed}\n")


def _profile():
    return USERS[next(_next_user) % len(USERS)]


class PortalUser(HttpUser):
    abstract = True

    def on_start(self):
        self.profile = _profile()

    refused_at = None  # a user with a session must never land on the login page

    def page(self, url, *, name, method="GET", data=None, refused_at=None):
        """One request; a shed answer (503/429 + Retry-After) makes the user wait, not fail.

        `refused_at`: a path that, if we land on it, means the request did not do its job
        (e.g. back on the login page after posting credentials)."""
        with self.client.request(
            method, url, name=name, data=data, timeout=TIMEOUT, catch_response=True, allow_redirects=True
        ) as response:
            if response.status_code in (429, 503) and response.headers.get("Retry-After"):
                response.success()  # shed by design; the bench counts it separately
                gevent.sleep(float(response.headers["Retry-After"]))
                return None
            if response.status_code >= 400:
                response.failure(f"HTTP {response.status_code}")
                return None
            refused_at = refused_at or self.refused_at
            if refused_at and response.url and response.url.split("?")[0].endswith(refused_at):
                response.failure(f"ended on {refused_at}")
                return None
            return response

    def use_session(self):
        self.client.cookies.set("sessionid", self.profile["session"])
        self.refused_at = "/konto/login/"


class MinimalViewUser(PortalUser):
    wait_time = constant(0)

    @task
    def one_row(self):
        self.page(f"/bench/rad/{self.profile['her_id']}/", name="minimal view")


class SignedInMinimalViewUser(MinimalViewUser):
    """The yardstick with a citizen's session: what every signed-in page pays before its own work."""

    def on_start(self):
        super().on_start()
        self.use_session()


class InboxUser(PortalUser):
    wait_time = constant(0)

    def on_start(self):
        super().on_start()
        self.use_session()

    @task
    def inbox(self):
        self.page("/meldinger/", name="inbox")


class CitizenUser(PortalUser):
    wait_time = between(1, 3)

    def on_start(self):
        super().on_start()
        self.use_session()

    @task(10)
    def inbox(self):
        self.page("/meldinger/", name="inbox")

    @task(6)
    def open_thread(self):
        thread = self.profile["threads"][int(time.time() * 1000) % len(self.profile["threads"])]
        self.page(f"/meldinger/samtale/{thread}/", name="thread")

    @task(1)
    def book(self):
        contact = self.profile["contact_id"]
        slots = self.page(f"/timer/bestill/{contact}/", name="booking: free slots")
        if slots is None:
            return
        choice = SLOT.search(slots.text)
        if choice is None and (timebook := TIMEBOOK.search(slots.text)):
            slots = self.page(
                f"/timer/bestill/{contact}/{timebook.group(1).replace('&amp;', '&')}", name="booking: free slots"
            )
            choice = SLOT.search(slots.text) if slots is not None else None
        if choice is None:
            return  # no free slot left: a real answer, not an error
        confirm = self.page(choice.group(1).replace("&amp;", "&"), name="booking: confirm page")
        if confirm is None:
            return
        fields = dict(HIDDEN.findall(confirm.text))
        token = CSRF.search(confirm.text)
        if token and "choice" in fields:
            self.page(
                f"/timer/bestill/{contact}/bekreft/",
                name="booking: reserve",
                method="POST",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "submission_key": fields.get("submission_key", ""),
                    "choice": fields["choice"],
                    "request_id": fields.get("request_id") or str(uuid.uuid4()),
                },
            )

    @task(1)
    def send(self):
        url = f"/meldinger/ny/{self.profile['service_id']}/e_contact/"
        form = self.page(url, name="send: form")
        token = CSRF.search(form.text) if form is not None else None
        key = SUBMISSION_KEY.search(form.text) if form is not None else None
        if token and key:
            self.page(
                url,
                name="send: post",
                method="POST",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "submission_key": key.group(1),
                    "title": "Spørsmål fra lasttest",
                    "text": "Hei, dette er en melding fra lasttesten.",
                },
            )


class LoginUser(PortalUser):
    wait_time = constant(0)

    @task
    def login(self):
        self.client.cookies.clear()
        form = self.page("/konto/login/", name="login: form")
        token = CSRF.search(form.text) if form is not None else None
        if token:
            self.page(
                "/konto/login/",
                name="login: post",
                method="POST",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "login": self.profile["operator_email"],
                    "password": self.profile["password"],
                },
                refused_at="/konto/login/",
            )


if os.environ.get("HN_LOAD_SPIKE"):

    class SpikeShape(LoadTestShape):
        """base users for `before` s, 10× base for `spike` s, then base users for `after` s."""

        base = int(os.environ.get("HN_LOAD_BASE", "50"))
        before, spike, after = (float(x) for x in os.environ["HN_LOAD_SPIKE"].split(","))

        def tick(self):
            t = self.get_run_time()
            if t < self.before:
                return self.base, self.base
            if t < self.before + self.spike:
                return self.base * 10, self.base * 10
            if t < self.before + self.spike + self.after:
                return self.base, self.base * 10
            return None
