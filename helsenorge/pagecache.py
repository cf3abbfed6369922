"""Signed-in pages from memory: the request's user and whole pages, kept while nothing they show changed.

What a copy shows depends on a few *versions*: a random token per thing that can change it — a
person's data (threads, messages and their read state, notices, health contacts, parental links
and powers of attorney), a user (the login, its person, its staff memberships) and the address
register. Writes to those tables replace the token at once and again when their transaction
commits (the receivers `connect()` wires to the models' save and delete, plus `changed()` where
a service updates rows in bulk). A copy is stored with the tokens read *before* it was built and used only
while all of them are still current, so a copy built from data a concurrent write was changing
is never served after that write committed. Copies are keyed by the session (and its CSRF
secret), so one session's copy never reaches another, and expire after `ENTRY_SECONDS`
whatever happens; a token that is evicted or expires is replaced by a new one, which only
makes copies miss.

Two uses: `accounts.frame.user_from_memory` (the user and staff memberships every signed-in
page needs) and `page_from_memory` (the inbox). The measurement behind them is in
docs/benchmarks.md ("The inbox from memory").
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse

from helsenorge.clock import local_today

ENTRY_SECONDS = 120  # the longest a copy lives, whatever its versions say
VERSION_SECONDS = 24 * 3600  # a version unchanged for a day expires (and is renewed: copies miss)
REGISTER = "hn:v:register"  # the address register: services, their processes, organisations


def memory():
    """The "pages" cache (settings.CACHES): sessions, users and pages kept while current."""
    return caches["pages"]


def person_version(person_id: int | None) -> str | None:
    return None if person_id is None else f"hn:v:person:{person_id}"


def user_version(user_id: int) -> str:
    return f"hn:v:user:{user_id}"


def current_versions(keys: Sequence[str], found: dict) -> tuple[str | None, ...]:
    """The tokens for `keys`, from `found` (the caller's `get_many` of them); a missing token is
    created, and a concurrent creator's token wins."""
    for key in keys:
        if key not in found:
            memory().add(key, uuid.uuid4().hex, VERSION_SECONDS)
            found[key] = memory().get(key)
    return tuple(found[key] for key in keys)


def changed(keys: Iterable[str | None]) -> None:
    """New tokens for `keys` now and, inside a transaction, again once it commits.

    The first makes the change count at once for requests that already see the new rows (the
    writer's own, a test's); the second drops a copy another request built from the old rows
    between the first and the commit.
    """
    fresh = {key for key in keys if key}
    if not fresh:
        return

    def renew():
        memory().set_many({key: uuid.uuid4().hex for key in fresh}, VERSION_SECONDS)

    renew()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(renew)


def persons_changed(person_ids: Iterable[int | None]) -> None:
    changed(person_version(pk) for pk in person_ids)


def _page_key(request: HttpRequest, name: str, vary_on: Sequence[str]) -> str | None:
    """The copy's key: session, CSRF secret, language, the full path, the day and `vary_on`.

    None while there is no session or CSRF secret yet (a page built now sets them).
    """
    session_key, csrf = request.session.session_key, request.META.get("CSRF_COOKIE")
    if not session_key or not csrf:
        return None
    parts = [
        name,
        session_key,
        csrf,  # the forms in the copy carry a token made from it
        getattr(request, "LANGUAGE_CODE", ""),
        request.get_full_path(),
        local_today().isoformat(),
        *vary_on,
    ]
    return "hn:page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def page_from_memory(
    request: HttpRequest,
    *,
    name: str,
    vary_on: Sequence[str],
    depends_on: Sequence[str | None],
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """`render()`'s answer, or the copy of it this session got while none of `depends_on` changed.

    Only a plain 200 is kept, and never a page showing a flash message. `depends_on` must name
    every version whose data the page shows, and `vary_on` whatever else in the session decides
    what it shows (e.g. on whose behalf).
    """
    if len(messages.get_messages(request)):
        return render()  # the message is shown once, on a page built for it
    versions_of = [version for version in depends_on if version]
    key = _page_key(request, name, vary_on)
    found = memory().get_many([key, *versions_of] if key else versions_of)
    entry = found.pop(key, None) if key else None
    versions = current_versions(versions_of, found)
    if entry is not None and entry[0] == versions:
        return HttpResponse(entry[1], content_type=entry[2])
    response = render()
    key = key or _page_key(request, name, vary_on)  # a first page made the session's CSRF secret
    if key and response.status_code == 200 and not response.streaming and not response.cookies:
        memory().set(key, (versions, response.content, response["Content-Type"]), ENTRY_SECONDS)
    return response


# --- What changes which version -------------------------------------------------------------
#
# Receivers on the models' saves and deletes, so every way a row is written (services, the relay's
# handlers, the admin, the demo's seeders) counts; a bulk `update()` sends no signal, so the
# services that update inbox-visible rows in bulk call `changed()` themselves.


def _patient_of(message) -> int | None:
    """The thread's person; the thread is usually loaded on the message already."""
    if "thread" in message._state.fields_cache:
        return message.thread.person_id
    threads = apps.get_model("dialogs", "Thread").objects.filter(pk=message.thread_id)
    return threads.values_list("person_id", flat=True).first()


def _person_and_linked(person) -> list[str | None]:
    """A person's name and address show on the pages of those who act for them too."""
    Parental = apps.get_model("accounts", "ParentalResponsibility")
    Power = apps.get_model("dialogs", "PowerOfAttorney")
    User = apps.get_model("accounts", "User")
    ids = {person.pk}
    ids.update(Parental.objects.filter(child=person.pk).values_list("parent_id", flat=True))
    ids.update(Power.objects.filter(grantor=person.pk).values_list("holder_id", flat=True))
    keys: list[str | None] = [person_version(pk) for pk in ids]
    keys += [user_version(pk) for pk in User.objects.filter(person=person.pk).values_list("pk", flat=True)]
    return keys


_SOURCES: dict[str, Callable[[Any], list[str | None]]] = {
    "accounts.User": lambda user: [user_version(user.pk)],
    "accounts.Person": _person_and_linked,
    "accounts.ParentalResponsibility": lambda link: [person_version(link.parent_id), person_version(link.child_id)],
    "dialogs.Thread": lambda thread: [person_version(thread.person_id)],
    "dialogs.DialogMessage": lambda message: [person_version(_patient_of(message))],
    "dialogs.PowerOfAttorney": lambda power: [person_version(power.grantor_id), person_version(power.holder_id)],
    "messaging.NoticeEvent": lambda event: [person_version(event.person_id)],
    "clinics.HealthContact": lambda contact: [person_version(contact.person_id)],
    "clinics.StaffMembership": lambda membership: [user_version(membership.user_id)],
    "clinics.Organisation": lambda _organisation: [REGISTER],
    "clinics.Service": lambda _service: [REGISTER],
    "clinics.ServiceProcess": lambda _process: [REGISTER],
}


def connect() -> None:
    """Wire the receivers (accounts' AppConfig.ready())."""
    for label, keys_of in _SOURCES.items():
        model = apps.get_model(label)

        def receiver(sender, instance, keys_of=keys_of, **_kwargs):
            if not _kwargs.get("raw"):  # fixtures loading: nothing is cached for rows being loaded
                changed(keys_of(instance))

        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"pagecache-save-{label}")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"pagecache-delete-{label}")
