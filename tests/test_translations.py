"""The English catalog: complete, compiled, in step with the source, and actually served.

Source strings (msgids) are Norwegian bokmål, so bokmål needs no catalog of its own; English
comes from locale/en/LC_MESSAGES/django.po, compiled to django.mo and committed (a fresh
machine has no msgfmt). When a test here fails after you added or changed a string:

    .venv/bin/python manage.py makemessages --locale en --ignore .venv --ignore var \
        --ignore artifacts --ignore staticfiles --ignore node_modules
    # translate the new entries in locale/en/LC_MESSAGES/django.po (no fuzzy, no empty msgstr)
    .venv/bin/python manage.py compilemessages --locale en --ignore .venv
"""

import ast
import html
import os
import re
import shutil
import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import login_as, require_or_skip

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "en" / "LC_MESSAGES"
# The folders the documented makemessages command ignores (plus hidden ones, which it skips anyway).
IGNORED_DIRS = {".venv", "var", "artifacts", "staticfiles", "node_modules", "locale"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}  # what makemessages reads for the "django" domain


# --- a small, strict reader for the .po and .mo formats (no extra dependency) ----------------


@dataclass
class Entry:
    msgid: str | None
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict = field(default_factory=dict)
    flags: set = field(default_factory=set)
    locations: list = field(default_factory=list)

    @property
    def key(self):
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translations(self):
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)]

    def mo_key(self):
        key = self.msgid if self.msgid_plural is None else f"{self.msgid}\x00{self.msgid_plural}"
        return key if self.msgctxt is None else f"{self.msgctxt}\x04{key}"

    def mo_value(self):
        return "\x00".join(self.translations)


def po_read(path: Path) -> list[Entry]:
    """Entries of a .po file, obsolete (#~) ones left out; the header is the entry with msgid ""."""
    entries: list[Entry] = []
    current: Entry | None = None
    last: str | None = None
    flags: set[str] = set()
    locations: list[str] = []

    def finish():
        nonlocal current, flags, locations
        if current is not None:
            current.flags, current.locations = flags, locations
            entries.append(current)
        current, flags, locations = None, set(), []

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#:"):
            locations += line[2:].split()
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):  # continuation of the previous keyword's string
            value = ast.literal_eval(line)
            _append(current, last, value)
            continue
        value = ast.literal_eval(rest)
        if keyword in ("msgctxt", "msgid") and current is not None and current.msgid is not None:
            finish()  # entries are normally separated by blank lines; this keeps a missing one harmless
        if current is None:
            current = Entry(msgid=None)
        last = keyword
        _append(current, keyword, value, replace=True)
    finish()
    return entries


def _append(entry, keyword, value, replace=False):
    match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
    if match:
        index = int(match.group(1))
        entry.msgstr_plural[index] = value if replace else entry.msgstr_plural[index] + value
        return
    attribute = {"msgctxt": "msgctxt", "msgid": "msgid", "msgid_plural": "msgid_plural", "msgstr": "msgstr"}[keyword]
    setattr(entry, attribute, value if replace else getattr(entry, attribute) + value)


def mo_read(path: Path) -> dict[str, str]:
    """Every original → translation pair of a GNU .mo file, exactly as gettext looks them up."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    result = {}
    for i in range(count):
        length, offset = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        original = data[offset : offset + length].decode("utf-8")
        length, offset = struct.unpack(order + "2I", data[translations + 8 * i : translations + 8 * i + 8])
        result[original] = data[offset : offset + length].decode("utf-8")
    return result


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    return po_read(CATALOG / "django.po")


def messages_of(catalog):
    return [e for e in catalog if e.msgid != ""]


# --- (a) + (b): the committed catalog ---------------------------------------------------------


def test_po_reader_understands_the_catalog(catalog):
    # Guards the reader the other tests rely on: a header, many entries, plural forms parsed.
    assert catalog[0].msgid == "" and "Plural-Forms: nplurals=2; plural=(n != 1);" in catalog[0].msgstr
    messages = messages_of(catalog)
    assert len(messages) > 500
    plurals = [e for e in messages if e.msgid_plural]
    assert plurals and all(len(e.msgstr_plural) == 2 for e in plurals)
    assert len({e.key for e in messages}) == len(messages), "duplicate entries in django.po"


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    problems = []
    for e in messages_of(catalog):
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy: {e.msgid!r}")
        if not all(t.strip() for t in e.translations):
            problems.append(f"untranslated: {e.msgid!r} ({', '.join(e.locations[:2])})")
    assert "fuzzy" not in catalog[0].flags, "the header is marked fuzzy (msgfmt would drop it)"
    assert not problems, "\n".join(problems)


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|</?\w+[^>]*>")


def test_translations_keep_placeholders_and_markup(catalog):
    problems = []
    for e in messages_of(catalog):
        sources = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        for index, translation in enumerate(e.translations):
            source = sources[min(index, len(sources) - 1)]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                problems.append(f"{source!r} -> {translation!r}")
    assert not problems, "placeholders or tags differ:\n" + "\n".join(problems)


def _header(text):
    # msgfmt leaves out POT-Creation-Date; every other header field is copied as is.
    return {k: v for k, _, v in (line.partition(": ") for line in text.splitlines()) if k != "POT-Creation-Date"}


def test_compiled_mo_matches_the_po(catalog):
    compiled = mo_read(CATALOG / "django.mo")
    assert _header(compiled.pop("", "")) == _header(catalog[0].msgstr)
    expected = {
        e.mo_key(): e.mo_value() for e in messages_of(catalog) if "fuzzy" not in e.flags and all(e.translations)
    }
    missing = sorted(set(expected) - set(compiled))
    stale = sorted(k for k in set(expected) & set(compiled) if expected[k] != compiled[k])
    extra = sorted(set(compiled) - set(expected))
    assert not (missing or stale or extra), (
        "locale/en/LC_MESSAGES/django.mo is out of date; run compilemessages "
        f"(missing {missing[:5]}, changed {stale[:5]}, extra {extra[:5]})"
    )


# --- (d): the catalog covers every translatable string in the source -------------------------


def _copy_sources(destination: Path):
    """The files makemessages reads, copied so its scratch files never land in the working tree."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS and d != "__pycache__"]
        relative = Path(folder).relative_to(ROOT)
        for name in files:
            if Path(name).suffix in SOURCE_SUFFIXES:
                target = destination / relative / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(folder) / name, target)


def test_catalog_has_every_translatable_string_in_the_source(tmp_path, settings, monkeypatch, catalog):
    require_or_skip(
        all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")),
        "GNU gettext (xgettext) is not installed; cannot extract strings to compare",
    )
    copy = tmp_path / "src"
    _copy_sources(copy)
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [str(copy / "locale")]
    call_command(
        "makemessages",
        locale=["en"],
        verbosity=0,
        ignore_patterns=[".venv", "var", "artifacts", "staticfiles", "node_modules"],
    )
    extracted = messages_of(po_read(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    assert len(extracted) > 500, "makemessages found too little; is the copy complete?"
    committed = {e.key for e in messages_of(catalog)}
    missing = [e for e in extracted if e.key not in committed]
    assert not missing, (
        f"{len(missing)} translatable string(s) are not in locale/en/LC_MESSAGES/django.po; "
        "run makemessages, translate them and compilemessages (see this module's docstring):\n"
        + "\n".join(f"  {e.msgid!r}  ({', '.join(e.locations[:2])})" for e in missing[:40])
    )


# --- visible template text outside {% trans %} / {% blocktrans %} ----------------------------

_TEMPLATE_NOISE = [
    re.compile(p, re.S)
    for p in (
        r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
        r"\{#.*?#\}",
        r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}",
        r"\{%.*?%\}",
        r"\{\{.*?\}\}",
    )
]
_WORD = re.compile(r"[^\W\d_]{2,}")
_CSS_CLASS = re.compile(r"^[\w-]+--[\w-]+$")  # text of a {% block x_class %}, not prose
# Language names are shown in their own language in the language picker, whatever the UI language.
_ALLOWED_TEXT = {"Norsk bokmål", "English"}
_TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description"}


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        button = tag in ("input", "button") and attributes.get("type") in ("submit", "button", "reset")
        for name, value in attrs:
            if value and (name in _TEXT_ATTRIBUTES or (name == "value" and button)) and _WORD.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    def handle_data(self, data):
        if '="' in data:  # markup whose tag name is itself a template tag (allauth's button element)
            return
        for allowed in _ALLOWED_TEXT:
            data = data.replace(allowed, " ")
        for chunk in data.split():
            if _WORD.search(chunk) and not _CSS_CLASS.match(chunk):
                self.found.append((self.getpos()[0], data.strip()))
                break


def test_templates_have_no_visible_text_outside_trans_tags():
    problems = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS]
        for name in files:
            if not name.endswith(".html"):
                continue
            path = Path(folder) / name
            text = path.read_text(encoding="utf-8")
            for pattern in _TEMPLATE_NOISE:  # keep line numbers for the report
                text = pattern.sub(lambda m: " " + "\n" * m.group(0).count("\n"), text)
            parser = _VisibleText()
            parser.feed(text)
            parser.close()
            problems += [f"{path.relative_to(ROOT)}:{line}: {found}" for line, found in parser.found]
    assert not problems, "wrap these in {% trans %} / {% blocktrans %}:\n" + "\n".join(problems)


# --- user-facing strings in Python that bypass gettext ---------------------------------------

_UI_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
_MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error", "add_message"}


def _bare_text(node) -> bool:
    """A literal with words in it (an f-string always counts: it cannot be looked up in a catalog)."""
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_WORD.search(node.value))


def _python_problems(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            owner = (
                function.value.id
                if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                else ""
            )
            for keyword in node.keywords:
                admin_text = keyword.arg == "description" and name in ("display", "action")  # @admin.display(...)
                if (keyword.arg in _UI_KEYWORDS or admin_text) and _bare_text(keyword.value):
                    yield node.lineno, f"{name}({keyword.arg}=...)"
            if owner == "messages" and name in _MESSAGE_LEVELS and any(_bare_text(a) for a in node.args[1:]):
                yield node.lineno, f"messages.{name}(...)"
            if name == "ValidationError" and node.args and _bare_text(node.args[0]):
                yield node.lineno, "ValidationError(...)"
            if name == "add_error" and len(node.args) > 1 and _bare_text(node.args[1]):
                yield node.lineno, "add_error(...)"
        if isinstance(node, ast.ClassDef):
            bases = {getattr(b, "attr", getattr(b, "id", "")) for b in node.bases}
            for statement in node.body:
                if not isinstance(statement, ast.Assign) or not isinstance(statement.targets[0], ast.Name):
                    continue
                target, value = statement.targets[0].id, statement.value
                if target in ("verbose_name", "verbose_name_plural") and _bare_text(value):
                    yield statement.lineno, f"{node.name}.{target}"
                if (
                    bases & {"TextChoices", "IntegerChoices", "Choices"}
                    and isinstance(value, ast.Tuple)
                    and len(value.elts) > 1
                    and _bare_text(value.elts[-1])
                ):
                    yield statement.lineno, f"{node.name}.{target} (choice label)"


def test_python_user_facing_strings_go_through_gettext():
    # Labels, help texts, verbose names, choice labels, flash messages and validation errors.
    # (Wire texts such as AppRec error texts are protocol data and stay as they are.)
    problems = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS | {"tests", "migrations"}]
        for name in files:
            if name.endswith(".py"):
                path = Path(folder) / name
                tree = ast.parse(path.read_text(encoding="utf-8"))
                problems += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in _python_problems(tree)]
    assert not problems, "wrap these in gettext / gettext_lazy:\n" + "\n".join(problems)


# --- (c): the pages are served in bokmål by default and in English when chosen ---------------


def _text(response) -> str:
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _english_client(client, how):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    else:
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


def _leftover_bokmal(page: str, catalog) -> list[str]:
    """Catalog phrases (several words, translated to something else) still shown in bokmål."""
    leftovers = []
    for e in messages_of(catalog):
        if e.msgid_plural or "%" in e.msgid or " " not in e.msgid or e.msgstr == e.msgid:
            continue
        if re.search(r"(?<!\w)" + re.escape(e.msgid) + r"(?!\w)", page):
            leftovers.append(e.msgid)
    return leftovers


PAGES = {
    # page: (English phrases, bokmål phrases)
    "home": (
        ["Keep track of your health with your health contacts", "Log in", "Skip to main content"],
        ["Følg opp helsen din med helsekontaktene dine", "Logg inn", "Hopp til hovedinnhold"],
    ),
    # allauth's own strings come from its shipped nb / en catalogs
    "login": (["Password", "Skip to main content"], ["Passord", "Hopp til hovedinnhold"]),
    "contacts": (
        ["Health contacts", "Start here: choose what you want to do", "Renew a prescription", "Log out"],
        ["Helsekontakter", "Start her: velg hva du vil gjøre", "Forny resept", "Logg ut"],
    ),
}


def _get(client, page, cast):
    if page == "contacts":
        login_as(client, cast.nora)
        return client.get(reverse("clinics:contact_list"))
    return client.get(reverse({"home": "home", "login": "account_login"}[page]))


def _assert_language(text, language, *, shown, gone):
    assert f'<html lang="{language}">' in text
    missing = [phrase for phrase in shown if phrase not in text]
    still_there = [phrase for phrase in gone if phrase in text]
    assert not missing and not still_there, f"missing {missing}, should be gone {still_there}"


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_in_bokmal_by_default(client, cast, page):
    english, bokmal = PAGES[page]
    _assert_language(_text(_get(client, page, cast)), "nb", shown=bokmal, gone=english)


@pytest.mark.parametrize("how", ["cookie", "set_language"])
@pytest.mark.parametrize("page", PAGES)
def test_pages_render_in_english_when_chosen(client, cast, catalog, page, how):
    text = _text(_get(_english_client(client, how), page, cast))
    english, bokmal = PAGES[page]
    _assert_language(text, "en", shown=english, gone=bokmal)
    assert not _leftover_bokmal(text, catalog)


def test_django_form_errors_are_in_bokmal_by_default_and_english_when_chosen(client, cast):
    # Django's and allauth's own messages (not in our catalog) follow the chosen language too.
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    assert "Feltet er påkrevet." in _text(response)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    assert "This field is required." in _text(response)
