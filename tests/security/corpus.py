"""A corpus of hostile and broken MsgHead documents, generated here from a legitimate message.

Nothing is copied from ../shared: every case starts from `message_build` of a plain e-kontakt
the portal could have sent, and is then attacked (entities, DTDs, nesting, size, encodings,
spoofed sender, replayed MsgId, unknown receiver). Each case says what the receiving EPJ must
answer: the 8221 code, and the `relay receive` exit code for an operator's file (which carries
no transport metadata, so an unreadable document without a readable header has nobody to
answer and is dead-lettered: exit 2).
"""

import dataclasses

from django.conf import settings

from messaging.codec import Message, Party, Patient, message_build, new_msg_id
from messaging.relay import portal_party
from messaging.relay.probe import probe_ekontakt

# `relay receive` exit codes (messaging/management/commands/relay.py).
ACCEPTED, REJECTED, UNUSABLE = 0, 1, 2
# An organisation number nobody has in the address register.
UNKNOWN_HER_ID = 99_999_901


@dataclasses.dataclass
class Case:
    name: str
    payload: bytes
    code: str | None  # the 8221 code the receiver answers with (None: accepted / duplicate)
    exit_code: int  # `relay receive` without transport metadata
    msg_id: str | None  # the MsgId a reader can find in the document (None: unreadable header)
    # The party the transport delivered it from (the envelope's sender); None: the portal.
    from_her_id: int | None = None
    replay_of: str | None = None  # MsgId of an earlier legitimate message this one replays


@dataclasses.dataclass
class Clinic:
    """Where the corpus is addressed: a real GP service with a patient on its list."""

    receiver: Party
    patient: Patient
    other_her_id: int  # another organisation in the register (a would-be impostor)


def legit_message(
    clinic: Clinic,
    *,
    subject: str = "Vanlig melding",
    text: str = "Hei",
    msg_id: str | None = None,
    sender: Party | None = None,
    receiver: Party | None = None,
) -> Message:
    message = probe_ekontakt(
        receiver=receiver or clinic.receiver, patient=clinic.patient, subject=subject, text=text, msg_id=msg_id
    )
    if sender is not None:
        message = dataclasses.replace(message, sender=sender)
    return message


def _with_doctype(document: bytes, subset: bytes, *, use: bytes = b"") -> bytes:
    """Put a DOCTYPE after the XML declaration and, if given, an entity reference into the text."""
    head, rest = document.split(b"?>", 1)
    body = rest.replace(b"Hei</", use + b"</", 1) if use else rest
    return head + b"?>\n<!DOCTYPE MsgHead " + subset + b">" + body


def _nested(document: bytes, depth: int) -> bytes:
    """Wrap the message text in `depth` nested elements (libxml2 refuses > 256 without huge_tree)."""
    return document.replace(b"Hei</", b"<a>" * depth + b"Hei" + b"</a>" * depth + b"</", 1)


def _reencode(document: bytes, *, declared: str, actual: str) -> bytes:
    text = document.decode("utf-8").replace('encoding="utf-8"', f'encoding="{declared}"', 1)
    text = text.replace('encoding="UTF-8"', f'encoding="{declared}"', 1)
    return text.encode(actual)


def hostile_cases(clinic: Clinic) -> list[Case]:
    """Every hostile case, each with a fresh MsgId."""

    def build(**kwargs) -> tuple[bytes, str]:
        message = legit_message(clinic, msg_id=new_msg_id(), **kwargs)
        return message_build(message), message.msg_id

    cases = []

    def add(name, payload, code, exit_code, msg_id, **extra):
        cases.append(Case(name=name, payload=payload, code=code, exit_code=exit_code, msg_id=msg_id, **extra))

    # Entity expansion and external entities: any DOCTYPE is refused unread (T99); with no
    # readable header an operator's file has nobody to answer.
    laughs = (
        b"["
        + b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10 if i else b"ha") for i in range(10))
        + b"]"
    )
    doc, msg_id = build(text="Hei")
    add("billion-laughs", _with_doctype(doc, laughs, use=b"&l9;"), "T99", UNUSABLE, None)
    doc, msg_id = build(text="Hei")
    add(
        "quadratic-blowup",
        _with_doctype(doc, b'[<!ENTITY a "' + b"x" * 50_000 + b'">]', use=b"&a;" * 5_000),
        "T99",
        UNUSABLE,
        None,
    )
    doc, msg_id = build(text="Hei")
    add("xxe-file", _with_doctype(doc, b'[<!ENTITY x SYSTEM "file:///etc/passwd">]', use=b"&x;"), "T99", UNUSABLE, None)
    doc, msg_id = build(text="Hei")
    add(
        "xxe-network",
        _with_doctype(doc, b'[<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]', use=b"&x;"),
        "T99",
        UNUSABLE,
        None,
    )
    doc, msg_id = build(text="Hei")
    add("external-dtd", _with_doctype(doc, b'SYSTEM "http://127.0.0.1:9/evil.dtd"'), "T99", UNUSABLE, None)
    doc, msg_id = build(text="Hei")
    add(
        "parameter-entity",
        _with_doctype(doc, b'[<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]'),
        "T99",
        UNUSABLE,
        None,
    )

    # Deep nesting: refused by libxml2's depth limit (T99) before anything is read.
    doc, msg_id = build(text="Hei")
    add("deep-nesting", _nested(doc, 5_000), "T99", UNUSABLE, None)

    # Oversize: one byte over HN_XML_MAX_BYTES, refused before parsing (T99).
    doc, msg_id = build(text="Hei")
    padding = b"x" * (settings.HN_XML_MAX_BYTES - len(doc) + 1)
    add("oversize", doc.replace(b"Hei</", padding + b"</", 1), "T99", UNUSABLE, None)

    # Wrong encodings (T01): UTF-16 bytes, ISO-8859-1 bytes declared UTF-8, an encoding we refuse.
    # The codec still salvages the header, so even an operator's file gets its AppRec.
    doc, msg_id = build(text="Blåbærsyltetøy")
    add(
        "utf16",
        doc.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16"),
        "T01",
        REJECTED,
        msg_id,
    )
    doc, msg_id = build(text="Blåbærsyltetøy")
    add("latin1-declared-utf8", doc.decode("utf-8").encode("iso-8859-1"), "T01", REJECTED, msg_id)
    doc, msg_id = build(text="Hei")
    add("utf7-declared", _reencode(doc, declared="UTF-7", actual="utf-8"), "T01", REJECTED, msg_id)

    # Not XML at all, and a truncated message (T01; the truncated one still has its header).
    add("not-xml", b"%PDF-1.7\n\x00\x01\x02 definitely not a MsgHead", "T01", UNUSABLE, None)
    doc, msg_id = build(text="Hei")
    add("truncated", doc[: len(doc) * 2 // 3], "T01", REJECTED, msg_id)

    # Spoofed sender. (1) The transport says the message came from another organisation, the
    # MsgHead claims to be the portal. (2) The transport is the portal, the MsgHead claims a clinic.
    doc, msg_id = build(text="Jeg er portalen, ærlig")
    add("spoof-claims-portal", doc, "S01", REJECTED, msg_id, from_her_id=clinic.other_her_id)
    other = Party(her_id=clinic.other_her_id, name="Sentrum legesenter")
    doc, msg_id = build(text="Jeg er en annen klinikk", sender=other)
    add("spoof-claims-clinic", doc, "S01", REJECTED, msg_id, from_her_id=settings.HN_PORTAL_HER_ID)

    # Unknown receiver (E21).
    unknown = Party(her_id=UNKNOWN_HER_ID, name="Finnes ikke", sub_her_id=UNKNOWN_HER_ID + 1, sub_name="Ingen")
    doc, msg_id = build(text="Hei", receiver=unknown)
    add("unknown-receiver", doc, "E21", REJECTED, msg_id)

    # Unknown function code (T10), invalid MsgId (E10).
    doc, msg_id = build(text="Hei")
    add(
        "unknown-function",
        doc.replace(b"DIALOG_INNBYGGER_EKONTAKT", b"DIALOG_INNBYGGER_BITCOIN"),
        "T10",
        REJECTED,
        msg_id,
    )
    return cases


def replay_case(clinic: Clinic, original: Message) -> Case:
    """The MsgId of a message already filed, with new content: nothing is applied again, and the
    receiver answers with the AppRec it gave the first time (redelivery is a no-op)."""
    message = legit_message(clinic, msg_id=original.msg_id, subject="Gjentatt", text="Betal meg igjen")
    return Case(
        name="replayed-msg-id",
        payload=message_build(message),
        code=None,
        exit_code=ACCEPTED,
        msg_id=original.msg_id,
        replay_of=original.msg_id,
    )


__all__ = [
    "ACCEPTED",
    "Case",
    "Clinic",
    "REJECTED",
    "UNKNOWN_HER_ID",
    "UNUSABLE",
    "hostile_cases",
    "legit_message",
    "portal_party",
    "replay_case",
]
