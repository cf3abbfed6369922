"""The catalogue as a JSON file, for operators moving it between installations.

The file is a JSON array with one object per tool. Import is all or nothing: every row is
checked first, and any bad row rejects the whole file, naming the row by index and line.
A published or withdrawn tool must carry three approved assessments, so an import can never
publish what the review rules would not.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tools.models import Dimension, EventKind, Tool, ToolEvent, ToolStatus, Verdict
from tools.selectors import current_verdicts

FIELDS = [
    "slug",
    "name",
    "maker",
    "purpose",
    "target_group",
    "topic",
    "kind",
    "launch_url",
    "privacy_url",
    "privacy_text",
    "evidence",
    "self_service",
    "status",
    "withdrawal_reason",
]
REQUIRED = {"slug", "name", "maker", "purpose", "target_group", "topic", "kind", "launch_url", "evidence", "status"}
STRING_FIELDS = set(FIELDS) - {"self_service"}


class CatalogueFileError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)


def catalogue_export() -> list[dict]:
    rows = []
    for tool in Tool.objects.order_by("slug"):
        row = {name: getattr(tool, name) for name in FIELDS}
        row["assessments"] = [
            {"dimension": dimension, "verdict": event.verdict, "notes": event.notes}
            for dimension, event in current_verdicts(tool=tool).items()
            if event is not None
        ]
        rows.append(row)
    return rows


def catalogue_rows_with_lines(text: str) -> list[tuple[int, Any]]:
    """Parse a JSON array, keeping the line each element starts on (json alone loses it)."""
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise CatalogueFileError([f"line {_line(text, pos)}: the file must be a JSON array of tools"])
    pos = _skip_space(text, pos + 1)
    rows: list[tuple[int, Any]] = []  # JSON values, checked row by row later
    if pos < len(text) and text[pos] == "]":
        return _expect_end(text, pos + 1, rows)
    while True:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise CatalogueFileError([f"row {len(rows)} (line {exc.lineno}): invalid JSON: {exc.msg}"]) from None
        rows.append((_line(text, pos), value))
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return _expect_end(text, pos + 1, rows)
        raise CatalogueFileError([f"line {_line(text, pos)}: expected ',' or ']' after row {len(rows) - 1}"])


def _skip_space(text, pos):
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text, pos):
    return text.count("\n", 0, pos) + 1


def _expect_end(text, pos, rows):
    pos = _skip_space(text, pos)
    if pos != len(text):
        raise CatalogueFileError([f"line {_line(text, pos)}: unexpected content after the array"])
    return rows


def _row_problems(row) -> list[str]:
    """Everything wrong with one row, as short English operator messages."""
    if not isinstance(row, dict):
        return ["must be a JSON object"]
    problems = []
    unknown = set(row) - set(FIELDS) - {"assessments"}
    if unknown:
        problems.append(f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = REQUIRED - set(row)
    if missing:
        problems.append(f"missing field(s): {', '.join(sorted(missing))}")
    for name in STRING_FIELDS & set(row):
        if not isinstance(row[name], str):
            problems.append(f"{name}: must be a string")
    if "self_service" in row and not isinstance(row["self_service"], bool):
        problems.append("self_service: must be true or false")
    if problems:
        return problems
    status = row["status"]
    if status not in ToolStatus.values:
        problems.append(f"status: must be one of {', '.join(ToolStatus.values)}")
    assessments = row.get("assessments", [])
    verdicts = {}
    if not isinstance(assessments, list):
        problems.append("assessments: must be a list")
        assessments = []
    for i, a in enumerate(assessments):
        if (
            not isinstance(a, dict)
            or set(a) - {"dimension", "verdict", "notes"}
            or a.get("dimension") not in Dimension.values
            or a.get("verdict") not in Verdict.values
            or not isinstance(a.get("notes", ""), str)
        ):
            problems.append(f"assessments[{i}]: needs a known dimension and verdict (and optional notes text)")
        elif a["dimension"] in verdicts:
            problems.append(f"assessments[{i}]: {a['dimension']} assessed twice")
        else:
            verdicts[a["dimension"]] = a["verdict"]
    if status in (ToolStatus.PUBLISHED, ToolStatus.WITHDRAWN) and not (
        len(verdicts) == 3 and all(v == Verdict.APPROVED for v in verdicts.values())
    ):
        problems.append("a published or withdrawn tool needs all three dimensions approved")
    if status == ToolStatus.WITHDRAWN and not row.get("withdrawal_reason", "").strip():
        problems.append("withdrawal_reason: required for a withdrawn tool")
    tool = _tool_from_row(row)
    try:
        tool.full_clean(exclude=["submitted_by", "published_at", "withdrawn_at"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            problems.extend(f"{name}: {message}" for message in messages)
    return problems


def _tool_from_row(row) -> Tool:
    existing = Tool.objects.filter(slug=row["slug"]).first()
    tool = existing or Tool()
    for name in FIELDS:
        setattr(tool, name, row.get(name, "" if name != "self_service" else False))
    return tool


def catalogue_validate(text: str) -> list[tuple[int, dict]]:
    rows = catalogue_rows_with_lines(text)
    errors: list[str] = []
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(rows):
        problems = _row_problems(row)
        if not problems and row["slug"] in seen:
            problems = [f"slug {row['slug']!r} already used by row {seen[row['slug']]}"]
        if problems:
            errors.extend(f"row {index} (line {line}): {problem}" for problem in problems)
        else:
            seen[row["slug"]] = index
    if errors:
        raise CatalogueFileError(errors)
    return rows


@transaction.atomic
def catalogue_import(*, text: str, actor=None) -> ImportResult:
    """Create or update tools by slug from the file; raises CatalogueFileError, changing nothing."""
    rows = catalogue_validate(text)
    result = ImportResult()
    now = timezone.now()
    for _line_no, row in rows:
        existing = Tool.objects.select_for_update().filter(slug=row["slug"]).first()
        before = {name: getattr(existing, name) for name in FIELDS} if existing else None
        tool = _tool_from_row(row)
        after = {name: getattr(tool, name) for name in FIELDS}
        verdicts = current_verdicts(tool=existing) if existing else {d: None for d in Dimension.values}
        current = {d: (e.verdict, e.notes) for d, e in verdicts.items() if e is not None}
        wanted = {a["dimension"]: (a["verdict"], a.get("notes", "")) for a in row.get("assessments", [])}
        if before == after and current == wanted:
            result.unchanged.append(tool.slug)
            continue
        if tool.status in (ToolStatus.PUBLISHED, ToolStatus.WITHDRAWN) and tool.published_at is None:
            tool.published_at = now
        if tool.status == ToolStatus.WITHDRAWN and tool.withdrawn_at is None:
            tool.withdrawn_at = now
        tool.save()
        # The import starts a new version; its assessments are the file's, all of them.
        ToolEvent.objects.create(tool=tool, kind=EventKind.IMPORTED, actor=actor)
        for a in row.get("assessments", []):
            ToolEvent.objects.create(
                tool=tool,
                kind=EventKind.ASSESSED,
                actor=actor,
                dimension=a["dimension"],
                verdict=a["verdict"],
                notes=a.get("notes", ""),
            )
        (result.updated if existing else result.created).append(tool.slug)
    return result
