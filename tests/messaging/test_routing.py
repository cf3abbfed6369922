"""Explicit routing: each system's table alone decides who receives a message (docs/relay.md).

The tables are checked against the traffic the two systems exchange: every message function one
side sends has exactly one handler per channel on the other side, nothing else is routed, and
an unknown function is refused with T10. Routing does not depend on INSTALLED_APPS order.
"""

import ast
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from messaging.codec import apprec_parse, codes
from messaging.models import Envelope, EnvelopeKind
from messaging.relay import RelayRejected, clinic_party, relay_request_sync
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.handover import inbox_consume_due
from messaging.relay.parties import portal_party
from messaging.relay.probe import probe_ekontakt
from messaging.relay.routing import (
    ASYNC,
    SYNC,
    OnAppRec,
    OnMessage,
    OnRequest,
    Prefetch,
    RoutingError,
    routes_for,
    routing_check,
    routing_table,
    routing_tables,
)
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.messaging.routing_support import routes_added
from tests.stores import relay_get

ROOT = Path(settings.BASE_DIR)
DIALOGS = (
    codes.DIALOG_INNBYGGER_EKONTAKT,
    codes.DIALOG_INNBYGGER_EKONSULTASJON,
    codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
)

# The wire contract between the two systems: (function, channel) each side sends. A sync reply
# and an AppRec answer a request and are not routed; they are not listed.
SENT = {
    "portal": {
        *((f, ASYNC) for f in DIALOGS),  # citizen messages (and, as e-kontakt, journal copy requests)
        (codes.DIALOG_INNBYGGER_TIMERESERVASJON, ASYNC),  # ReserverAvtale
        (codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, ASYNC),  # AvbestillAvtale
        (codes.DIALOG_INNBYGGER_TIMERESERVASJON, SYNC),  # HentLedigeTimer
        (codes.DIALOG_INNBYGGER_FINN_DOKUMENTER, SYNC),
        (codes.DIALOG_INNBYGGER_HENT_DOKUMENTER, SYNC),
        (codes.DIALOG_INNBYGGER_TEST, SYNC),  # relay ping
    },
    "epj": {
        *((f, ASYNC) for f in DIALOGS),  # the clinic's answers (and, as e-kontakt, journal copies)
        (codes.DIALOG_INNBYGGER_TIMERESERVASJON, ASYNC),  # SvarAvtaleReservasjon
        (codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, ASYNC),  # SvarAvbestilling
        (codes.DIALOG_INNBYGGER_AVTALEUTSENDING, ASYNC),  # Avtale pushed by the clinic
    },
}
RECEIVER = {"portal": "epj", "epj": "portal"}


def routing_dump(tables) -> dict[str, dict[str, list[str]]]:
    """Every side's routing as plain names, to compare two builds of the tables."""

    def name(fn) -> str:
        return f"{fn.__module__}.{fn.__qualname__}"

    return {
        side: {
            **{
                f"{function} {ASYNC}": [f"{name(r.handler)} when {name(r.when) if r.when else '-'}" for r in routes]
                for function, routes in sorted(table.messages.items())
            },
            **{f"{function} {SYNC}": [name(fn)] for function, fn in sorted(table.requests.items())},
            **{f"{function} apprec": [name(fn) for fn in fns] for function, fns in sorted(table.apprecs.items())},
            "prefetch": [name(fn) for fn in table.prefetchers],
        }
        for side, table in sorted(tables.items())
    }


def test_every_function_a_side_sends_has_exactly_one_catch_all_handler_on_the_other_side():
    for sender, sent in SENT.items():
        table = routes_for(RECEIVER[sender])
        assert table.routed() == sent, f"{RECEIVER[sender]} routes other functions than {sender} sends"
        for function, channel in sent:
            if channel == SYNC:
                assert table.sync_handler(function) is not None
            else:
                catch_alls = [r for r in table.messages[function] if r.when is None]
                assert len(catch_alls) == 1 and table.messages[function][-1] is catch_alls[0], function


@pytest.mark.parametrize("side", sorted(SENT))
def test_every_async_function_a_side_sends_has_its_apprec_listened_to(side):
    """The portal shows the citizen, and the EPJ its staff, whether each thing sent arrived, so no
    AppRec is unheard."""
    assert set(routes_for(side).apprecs) == {f for f, channel in SENT[side] if channel == ASYNC}


def _functions_in_source() -> set[str]:
    """Message functions named as a Message's msg_type anywhere in the two systems' code."""
    found: set[str] = set()
    dialog_kinds = False
    for package in ("accounts", "appointments", "clinics", "epj", "journal", "messaging", "tools"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (isinstance(node, ast.keyword) and node.arg == "msg_type"):
                    continue
                value = node.value
                if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "codes":
                    found.add(getattr(codes, value.attr))
                elif isinstance(value, ast.Name) and hasattr(codes, value.id):  # imported from codes by name
                    found.add(getattr(codes, value.id))
                elif isinstance(value, ast.Subscript) and "KIND_FUNCTION" in ast.unparse(value.value):
                    dialog_kinds = True
    # An AppRec answers a message and goes to the AppRec listeners of its original's function.
    return (found - {codes.APPREC}) | (set(DIALOGS) if dialog_kinds else set())


def test_the_wire_contract_above_lists_every_function_the_code_sends():
    """A new message function in the code fails here until it is in SENT and in a routing table."""
    listed = {function for sent in SENT.values() for function, _ in sent}
    assert _functions_in_source() == listed


def test_the_real_tables_compile_and_pass_the_system_check():
    assert routing_check() == []
    assert set(routing_tables()) == {"portal", "epj"}


def test_installed_apps_order_does_not_change_routing():
    """A process with the apps loaded in reverse order routes exactly the same way."""
    script = (
        "import json, django\n"
        "from django.conf import settings\n"
        "settings.INSTALLED_APPS = settings.INSTALLED_APPS[:9] + settings.INSTALLED_APPS[9:][::-1]\n"
        "django.setup()\n"
        "from messaging.relay.routing import routing_tables\n"
        "from tests.messaging.test_routing import routing_dump\n"
        "print(json.dumps([settings.INSTALLED_APPS, routing_dump(routing_tables())]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helsenorge.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    apps, dumped = json.loads(result.stdout.strip().splitlines()[-1])
    assert apps[9:] == list(reversed(settings.INSTALLED_APPS[9:])) and apps[9] == "ops"
    assert dumped == routing_dump(routing_tables())


def test_building_the_tables_twice_routes_the_same_way():
    from helsenorge.routing import ROUTING

    first = {side: routing_table(side, routes) for side, routes in ROUTING.items()}
    second = {side: routing_table(side, routes) for side, routes in ROUTING.items()}
    assert routing_dump(first) == routing_dump(second) == routing_dump(routing_tables())


def _handle(message, envelope):
    return None


def _other(message, envelope):
    return None


def _is_special(message):
    return True


def _answer(message):
    return message


def _prefetch(documents):
    return None


@pytest.mark.parametrize(
    "routes, problem",
    [
        ([OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _handle)] * 2, "listed twice"),
        (
            [OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _handle), OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _other)],
            "listed twice",  # two catch-alls for one function and channel
        ),
        (
            [
                OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _handle, when=_is_special),
                OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _other, when=_is_special),
            ],
            "listed twice",
        ),
        (
            [
                OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _handle),
                OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _other, when=_is_special),
            ],
            "never reached",
        ),
        ([OnRequest(codes.DIALOG_INNBYGGER_TEST, _answer), OnRequest(codes.DIALOG_INNBYGGER_TEST, _answer)], "twice"),
        ([OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, _handle)] * 2, "listed twice"),
        ([Prefetch(_prefetch)] * 2, "listed twice"),
        ([OnMessage("DIALOG_INNBYGGER_EKONTAKTT", _handle)], "not a message function"),
        (["DIALOG_INNBYGGER_EKONTAKT"], "not a route"),
    ],
)
def test_an_ambiguous_or_wrong_table_is_refused(routes, problem):
    with pytest.raises(RoutingError, match=problem):
        routing_table("epj", routes)


def test_a_narrower_entry_goes_before_the_catch_all_and_the_first_match_wins():
    table = routing_table(
        "epj",
        [
            OnMessage(
                codes.DIALOG_INNBYGGER_EKONTAKT, _other, when=lambda message: message.foresporsler[0].subject == "Kopi"
            ),
            OnMessage(codes.DIALOG_INNBYGGER_EKONTAKT, _handle),
        ],
    )
    special = probe_ekontakt(receiver=portal_party(), patient=None, subject="Kopi")
    plain = probe_ekontakt(receiver=portal_party(), patient=None, subject="Time?")
    assert table.handler(special) is _other and table.handler(plain) is _handle
    assert table.accepts(codes.DIALOG_INNBYGGER_EKONTAKT, ASYNC)
    assert not table.accepts(codes.DIALOG_INNBYGGER_EKONTAKT, SYNC)


def test_a_bad_table_fails_the_system_check(settings):
    from django.core.checks import Error

    with routes_added("epj", OnRequest(codes.DIALOG_INNBYGGER_TEST, _answer)):
        errors = routing_check()
    assert [e.id for e in errors] == ["relay.E001"] and isinstance(errors[0], Error)
    assert "DIALOG_INNBYGGER_TEST (sync) listed twice" in errors[0].msg


# --- refusals on the real relay ----------------------------------------------------------


def _unrouted(service, nora):
    """A message the codec accepts but no side routes: a function this project never sends."""
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    return dataclasses.replace(message, msg_type=codes.DIALOG_INNBYGGER_KOORDINATOR)


def test_an_unrouted_async_function_is_refused_with_t10(db):
    service, nora = gp_with_patient()
    message = _unrouted(service, nora)
    assert not routes_for("epj").accepts(message.msg_type, ASYNC)
    envelope = send(message)
    relay_deliver_due(side="epj", channel="async")
    apprec = apprec_parse(bytes(relay_get(Envelope, kept_by="epj", kind=EnvelopeKind.APPREC).payload))
    assert apprec.status == codes.STATUS_REJECTED and apprec.original_msg_id == envelope.msg_id
    assert [(e.code, e.detail) for e in apprec.errors] == [
        ("T10", "Mottakeren tar ikke imot DIALOG_INNBYGGER_KOORDINATOR")
    ]


def test_an_unrouted_sync_request_is_refused_with_t10(transactional_db):
    service, nora = gp_with_patient()
    rejected: list[RelayRejected] = []

    def caller(request):
        try:
            relay_request_sync(side="portal", message=request, timeout=10)
        except RelayRejected as error:
            rejected.append(error)

    request = _unrouted(service, nora)
    assert not routes_for("epj").accepts(request.msg_type, SYNC)
    thread = threading.Thread(target=caller, args=(request,))
    thread.start()
    while thread.is_alive() and not inbox_consume_due(side="epj", channel="sync"):  # the EPJ's sync consumer
        time.sleep(0.01)
    thread.join(timeout=15)
    assert [(e.code, e.detail) for e in rejected[0].apprec.errors] == [
        ("T10", "Mottakeren svarer ikke på DIALOG_INNBYGGER_KOORDINATOR")
    ]
