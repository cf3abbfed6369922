"""A JSON reader that remembers the line each value starts on.

The register import must point an operator at the exact line of every bad row, and
`json.loads` forgets positions. This walks the text with the standard library's own
string scanner and number pattern, so it accepts exactly what `json` accepts (minus
NaN/Infinity, which are not JSON) and rejects duplicate keys, which `json` silently
collapses. Syntax errors are reported with line and column.
"""

import bisect
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # the C scanner's helper, not in the stubs
from json.scanner import NUMBER_RE

from django.utils.translation import gettext as _

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_LITERALS = (("true", True), ("false", False), ("null", None))
MAX_DEPTH = 50


class LocatedDict(dict):
    """A JSON object; `.line` is where it opens, `.lines[key]` where each value starts."""

    def __init__(self, *args, line=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.line, self.lines = line, {}


class LocatedList(list):
    """A JSON array; `.line` is where it opens, `.lines[i]` where each item starts."""

    def __init__(self, *args, line=0):
        super().__init__(*args)
        self.line, self.lines = line, []


class JsonSyntaxError(ValueError):
    def __init__(self, message, line, column):
        super().__init__(f"{message} (linje {line}, kolonne {column})")
        self.message, self.line, self.column = message, line, column


class _Reader:
    def __init__(self, text):
        self.text = text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, pos):
        return bisect.bisect_right(self._line_starts, pos)

    def fail(self, message, pos):
        line = self.line_of(pos)
        raise JsonSyntaxError(message, line, pos - self._line_starts[line - 1] + 1)

    def skip(self, pos):
        match = _WHITESPACE.match(self.text, pos)
        assert match is not None  # the pattern also matches nothing
        return match.end()

    def value(self, pos, depth):
        """Parse the value at `pos` (no leading whitespace); return (value, end)."""
        if depth > MAX_DEPTH:
            self.fail(_("for dypt nøstet JSON"), pos)
        char = self.text[pos : pos + 1]
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char == '"':
            return self.string(pos)
        for word, result in _LITERALS:
            if self.text.startswith(word, pos):
                return result, pos + len(word)
        match = NUMBER_RE.match(self.text, pos)
        if match:
            integer, fraction, exponent = match.groups()
            if fraction or exponent:
                return float(integer + (fraction or "") + (exponent or "")), match.end()
            return int(integer), match.end()
        self.fail(_("forventet en JSON-verdi"), pos)

    def string(self, pos):
        try:
            return scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as exc:
            self.fail(exc.msg, exc.pos)

    def object(self, start, depth):
        result = LocatedDict(line=self.line_of(start))
        pos = self.skip(start + 1)
        if self.text.startswith("}", pos):
            return result, pos + 1
        while True:
            if not self.text.startswith('"', pos):
                self.fail(_("forventet et feltnavn i anførselstegn"), pos)
            key_pos = pos
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                self.fail(_("forventet ':' etter feltnavnet"), pos)
            pos = self.skip(pos + 1)
            if key in result:
                self.fail(
                    _("feltet «%(key)s» står to ganger i samme objekt (første gang på linje %(line)s)")
                    % {"key": key, "line": result.lines[key]},
                    key_pos,
                )
            result.lines[key] = self.line_of(pos)
            result[key], pos = self.value(pos, depth + 1)
            pos = self.skip(pos)
            if self.text.startswith("}", pos):
                return result, pos + 1
            if not self.text.startswith(",", pos):
                self.fail(_("forventet ',' eller '}'"), pos)
            pos = self.skip(pos + 1)

    def array(self, start, depth):
        result = LocatedList(line=self.line_of(start))
        pos = self.skip(start + 1)
        if self.text.startswith("]", pos):
            return result, pos + 1
        while True:
            result.lines.append(self.line_of(pos))
            item, pos = self.value(pos, depth + 1)
            result.append(item)
            pos = self.skip(pos)
            if self.text.startswith("]", pos):
                return result, pos + 1
            if not self.text.startswith(",", pos):
                self.fail(_("forventet ',' eller ']'"), pos)
            pos = self.skip(pos + 1)


def located_json_parse(text: str):
    """Parse a JSON document; objects and arrays come back as LocatedDict / LocatedList."""
    reader = _Reader(text)
    pos = reader.skip(1 if text.startswith("\ufeff") else 0)
    if pos >= len(text):
        reader.fail(_("filen er tom"), pos)
    value, pos = reader.value(pos, 0)
    pos = reader.skip(pos)
    if pos != len(text):
        reader.fail(_("uventet innhold etter slutten av JSON-dokumentet"), pos)
    return value
